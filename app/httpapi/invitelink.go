package httpapi

import (
	"net/http"

	"rollcall/app"
)

// Invite links. The address (with its token) exists only in the answer that
// makes the link or gives it a new address; QR codes and posters of a link
// are made from the token the admin's page still holds, sent in the body.
func (s *Server) inviteLinkRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/invite-links", s.admin(s.listInviteLinks))
	m.Handle("POST /api/organizations/{org}/invite-links", s.admin(s.createInviteLink))
	m.Handle("DELETE /api/organizations/{org}/invite-links/{link}", s.admin(s.deleteInviteLink))
	m.Handle("POST /api/organizations/{org}/invite-links/{link}/revoke", s.admin(s.revokeInviteLink))
	m.Handle("POST /api/organizations/{org}/invite-links/{link}/renew", s.admin(s.renewInviteLink))
	m.Handle("POST /api/organizations/{org}/invite-links/{link}/qr.png", s.admin(s.inviteLinkFile("png")))
	m.Handle("POST /api/organizations/{org}/invite-links/{link}/qr.svg", s.admin(s.inviteLinkFile("svg")))
	m.Handle("POST /api/organizations/{org}/invite-links/{link}/poster.pdf", s.admin(s.inviteLinkFile("pdf")))
}

type linkJSON struct {
	*app.InviteLink
	GroupNames []string `json:"group_names"`
}

// newLinkJSON is a link with its address, the one time it is shown.
type newLinkJSON struct {
	Link  linkJSON `json:"link"`
	Token string   `json:"token"`
	// URL is the address to share ("" when the organization has no base
	// address yet: BaseProblem says so); Bases are the other choices.
	URL         string   `json:"url"`
	Bases       []string `json:"bases"`
	BaseProblem string   `json:"base_problem,omitempty"`
}

func (s *Server) linkJSON(r *http.Request, l *app.InviteLink) linkJSON {
	out := linkJSON{InviteLink: l, GroupNames: []string{}}
	for _, id := range l.Groups {
		if g, err := s.app.Group(r.Context(), l.OrgID, id); err == nil {
			out.GroupNames = append(out.GroupNames, g.Name)
		}
	}
	return out
}

func (s *Server) listInviteLinks(w http.ResponseWriter, r *http.Request) {
	links, err := s.app.InviteLinks(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]linkJSON, len(links))
	for i, l := range links {
		out[i] = s.linkJSON(r, l)
	}
	writeJSON(w, http.StatusOK, map[string]any{"links": out})
}

func (s *Server) writeNewLink(w http.ResponseWriter, r *http.Request, status int, nl *app.NewInviteLink) {
	org, err := s.app.ViewOrganization(r.Context(), nl.Link.OrgID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := newLinkJSON{Link: s.linkJSON(r, nl.Link), Token: nl.Token, Bases: app.SignUpBases(org, s.lanURLs())}
	if base, err := app.PickBase(org, out.Bases, ""); err != nil {
		out.BaseProblem = app.LocalizedMessage(err, requestLanguage(r))
	} else {
		out.URL = app.LinkURL(base, nl.Token)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, out)
}

func (s *Server) createInviteLink(w http.ResponseWriter, r *http.Request) {
	var in app.InviteLinkCreate
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	nl, err := s.app.CreateInviteLink(r.Context(), r.PathValue("org"), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeNewLink(w, r, http.StatusCreated, nl)
}

func (s *Server) renewInviteLink(w http.ResponseWriter, r *http.Request) {
	nl, err := s.app.RenewInviteLink(r.Context(), r.PathValue("org"), r.PathValue("link"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeNewLink(w, r, http.StatusOK, nl)
}

func (s *Server) revokeInviteLink(w http.ResponseWriter, r *http.Request) {
	l, err := s.app.RevokeInviteLink(r.Context(), r.PathValue("org"), r.PathValue("link"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.linkJSON(r, l))
}

func (s *Server) deleteInviteLink(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeleteInviteLink(r.Context(), r.PathValue("org"), r.PathValue("link")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type linkFileRequest struct {
	Token string `json:"token"`
	Base  string `json:"base"`
	Paper string `json:"paper"`
	Size  int    `json:"size"`
}

func (s *Server) inviteLinkFile(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in linkFileRequest
		if err := decode(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
		f, err := s.app.LinkPoster(r.Context(), r.PathValue("org"), r.PathValue("link"), in.Token, s.lanURLs(), in.Base, in.Paper)
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.writeQRFile(w, r, kind, f, in.Size)
	}
}

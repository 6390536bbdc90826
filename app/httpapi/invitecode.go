package httpapi

import (
	"net/http"
	"strconv"

	"rollcall/app"
	"rollcall/app/poster"
	"rollcall/app/qr"
)

// Invite codes: the organization's code under /api/organizations/{org}/invite-code
// and each group's under .../groups/{group}/invite-code; the same handlers
// serve both (an empty group means the organization's code).
func (s *Server) inviteCodeRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/invite-codes", s.admin(s.listInviteCodes))
	// The organization's code and each group's: the same handlers (an empty
	// {group} means the organization's code). Patterns stay literal so that
	// the test of the LAN listener can list every route.
	m.Handle("GET /api/organizations/{org}/invite-code", s.admin(s.getInviteCode))
	m.Handle("PATCH /api/organizations/{org}/invite-code", s.admin(s.updateInviteCode))
	m.Handle("POST /api/organizations/{org}/invite-code/regenerate", s.admin(s.regenerateInviteCode))
	m.Handle("GET /api/organizations/{org}/invite-code/qr.png", s.admin(s.inviteCodeFile("png")))
	m.Handle("GET /api/organizations/{org}/invite-code/qr.svg", s.admin(s.inviteCodeFile("svg")))
	m.Handle("GET /api/organizations/{org}/invite-code/poster.pdf", s.admin(s.inviteCodeFile("pdf")))
	m.Handle("GET /api/organizations/{org}/groups/{group}/invite-code", s.admin(s.getInviteCode))
	m.Handle("PATCH /api/organizations/{org}/groups/{group}/invite-code", s.admin(s.updateInviteCode))
	m.Handle("POST /api/organizations/{org}/groups/{group}/invite-code/regenerate", s.admin(s.regenerateInviteCode))
	m.Handle("GET /api/organizations/{org}/groups/{group}/invite-code/qr.png", s.admin(s.inviteCodeFile("png")))
	m.Handle("GET /api/organizations/{org}/groups/{group}/invite-code/qr.svg", s.admin(s.inviteCodeFile("svg")))
	m.Handle("GET /api/organizations/{org}/groups/{group}/invite-code/poster.pdf", s.admin(s.inviteCodeFile("pdf")))
}

func (s *Server) writeCode(w http.ResponseWriter, r *http.Request, c *app.InviteCode) {
	out, err := s.app.ViewInviteCode(r.Context(), c, s.lanURLs(), r.URL.Query().Get("base"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	out.CodeAddress = out.CodeAddress.Localized(requestLanguage(r))
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listInviteCodes(w http.ResponseWriter, r *http.Request) {
	codes, err := s.app.InviteCodes(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := []*app.InviteCodeView{}
	for _, c := range codes {
		j, err := s.app.ViewInviteCode(r.Context(), c, s.lanURLs(), "")
		if err != nil {
			s.error(w, r, err)
			return
		}
		j.CodeAddress = j.CodeAddress.Localized(requestLanguage(r))
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"codes": out})
}

// getInviteCode returns the code; it only reads.
func (s *Server) getInviteCode(w http.ResponseWriter, r *http.Request) {
	c, err := s.app.InviteCodeOf(r.Context(), r.PathValue("org"), r.PathValue("group"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeCode(w, r, c)
}

func (s *Server) updateInviteCode(w http.ResponseWriter, r *http.Request) {
	var upd app.InviteCodeUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	c, err := s.app.UpdateInviteCode(r.Context(), r.PathValue("org"), r.PathValue("group"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeCode(w, r, c)
}

func (s *Server) regenerateInviteCode(w http.ResponseWriter, r *http.Request) {
	c, err := s.app.RegenerateInviteCode(r.Context(), r.PathValue("org"), r.PathValue("group"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.writeCode(w, r, c)
}

// inviteCodeFile answers the code's QR code as PNG (?size= pixels) or SVG,
// or its poster (?paper=a4|letter); ?base= picks the base address.
func (s *Server) inviteCodeFile(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f, err := s.app.CodePoster(r.Context(), r.PathValue("org"), r.PathValue("group"), s.lanURLs(), q.Get("base"), q.Get("paper"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		size, _ := strconv.Atoi(q.Get("size"))
		s.writeQRFile(w, r, kind, f, size)
	}
}

// writeQRFile answers a QR code as PNG (size pixels; 0 means 1024), SVG or
// a poster PDF, as a download named after f.
func (s *Server) writeQRFile(w http.ResponseWriter, r *http.Request, kind string, f *app.QRFile, size int) {
	var data []byte
	var err error
	var ctype string
	switch kind {
	case "png":
		if size == 0 {
			size = 1024
		}
		data, err = qr.PNG(f.Poster.URL, min(max(size, 128), 4096))
		ctype = "image/png"
	case "svg":
		data, err = qr.SVG(f.Poster.URL)
		ctype = "image/svg+xml"
	default:
		data, err = poster.PDF(f.Poster)
		ctype, kind = "application/pdf", "pdf"
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	sendFile(w, f.Name+"."+kind, ctype, data)
}

package httpapi

import (
	"fmt"
	"net/http"
	"strings"

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

// codeJSON is a code as the admin pages show it, with what the classroom
// display polls for: uses and pending approvals.
type codeJSON struct {
	*app.InviteCode
	Display string `json:"display"`
	// Name is the group's name, or the organization's for its code.
	Name string `json:"name"`
	// URL is the address the QR code opens ("" when there is no base yet).
	URL string `json:"url"`
	// Address is the short address to type, without the code.
	Address string `json:"address"`
	// Bases are the base addresses the QR code may use; BaseProblem says why there is none.
	Bases         []string `json:"bases"`
	Base          string   `json:"base"`
	BaseProblem   string   `json:"base_problem,omitempty"`
	SignUpEnabled bool     `json:"signup_enabled"`
	// Pending counts sign-ups waiting for approval: through this code, and in all.
	Pending      int `json:"pending"`
	PendingTotal int `json:"pending_total"`
}

func (s *Server) codeJSON(r *http.Request, c *app.InviteCode, base string) (*codeJSON, error) {
	ctx := r.Context()
	org, err := s.app.Organization(ctx, c.OrgID)
	if err != nil {
		return nil, err
	}
	out := &codeJSON{InviteCode: c, Display: c.Display(), Name: org.Name, Bases: s.baseURLs(org), SignUpEnabled: org.SignUp.Enabled}
	if c.GroupID != "" {
		g, err := s.app.Group(ctx, org.ID, c.GroupID)
		if err != nil {
			return nil, err
		}
		out.Name = g.Name
	}
	if b, err := s.pickBase(org, base); err != nil {
		out.BaseProblem = app.ErrorMessage(err)
	} else {
		out.Base, out.URL, out.Address = b, b+"/join/"+c.Code, poster.ShortAddress(b+"/join")
	}
	if out.PendingTotal, out.Pending, err = s.app.PendingCount(ctx, org.ID, c.Code); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) writeCode(w http.ResponseWriter, r *http.Request, c *app.InviteCode) {
	out, err := s.codeJSON(r, c, r.URL.Query().Get("base"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listInviteCodes(w http.ResponseWriter, r *http.Request) {
	codes, err := s.app.InviteCodes(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := []*codeJSON{}
	for _, c := range codes {
		j, err := s.codeJSON(r, c, "")
		if err != nil {
			s.error(w, r, err)
			return
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"codes": out})
}

// getInviteCode returns the code, making it on first use.
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

// inviteCodeFile answers the code's QR code as PNG or SVG, or its poster
// (?paper=a4|letter); ?base= picks the base address.
func (s *Server) inviteCodeFile(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := s.app.InviteCodeOf(r.Context(), r.PathValue("org"), r.PathValue("group"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		j, err := s.codeJSON(r, c, r.URL.Query().Get("base"))
		if err != nil {
			s.error(w, r, err)
			return
		}
		if j.URL == "" {
			s.error(w, r, app.FieldError(app.EINVALID, "base", "%s", j.BaseProblem))
			return
		}
		org, err := s.app.Organization(r.Context(), c.OrgID)
		if err != nil {
			s.error(w, r, err)
			return
		}
		subtitle := org.Name
		if c.GroupID == "" {
			subtitle = ""
		}
		s.writeQRFile(w, r, kind, "code-"+fileSlug(j.Name)+"-"+c.Code, poster.Poster{
			Title: j.Name, Subtitle: subtitle, URL: j.URL, Address: j.Address, Code: j.Display, Paper: r.URL.Query().Get("paper"),
		})
	}
}

// writeQRFile answers a QR code as PNG (?size= pixels, default 1024), SVG or
// a poster PDF, as a download named name.ext.
func (s *Server) writeQRFile(w http.ResponseWriter, r *http.Request, kind, name string, p poster.Poster) {
	var data []byte
	var err error
	var ctype string
	switch kind {
	case "png":
		size := 1024
		fmt.Sscanf(r.URL.Query().Get("size"), "%d", &size)
		size = min(max(size, 128), 4096)
		data, err = qr.PNG(p.URL, size)
		ctype = "image/png"
	case "svg":
		data, err = qr.SVG(p.URL)
		ctype = "image/svg+xml"
	default:
		if p.Paper != "" && p.Paper != poster.A4 && p.Paper != poster.Letter {
			s.error(w, r, app.FieldError(app.EINVALID, "paper", "The paper is a4 or letter."))
			return
		}
		data, err = poster.PDF(p)
		ctype, kind = "application/pdf", "pdf"
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, kind))
	w.Write(data)
}

// fileSlug makes a name safe inside a file name.
func fileSlug(name string) string {
	s := app.Slugify(name)
	if s == "org" && !strings.EqualFold(name, "org") {
		return "group"
	}
	return s
}

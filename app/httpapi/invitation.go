package httpapi

import (
	"net/http"

	"rollcall/app"
)

func (s *Server) invitationRoutes(m *http.ServeMux) {
	m.Handle("GET /api/organizations/{org}/invitations", s.admin(s.listInvitations))
	m.Handle("POST /api/organizations/{org}/invitations", s.admin(s.createInvitations))
	m.Handle("POST /api/organizations/{org}/invitations/resend-expired", s.admin(s.resendExpired))
	m.Handle("POST /api/organizations/{org}/invitations/{invitation}/cancel", s.admin(s.cancelInvitation))
	m.Handle("POST /api/organizations/{org}/invitations/{invitation}/resend", s.admin(s.resendInvitation))
	// Public: the accept page. The token travels in the body, never in a
	// URL the API sees, so no access or error log can hold it.
	m.HandleFunc("POST /api/public/invitation", s.lookupInvitation)
	m.HandleFunc("POST /api/public/invitation/accept", s.acceptInvitation)
	// Public: the link of a sign-up's verification mail, token in the body.
	m.HandleFunc("POST /api/public/verify-email", s.verifyEmail)
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.Invitations(r.Context(), r.PathValue("org"), app.InvitationFilter{State: r.URL.Query().Get("state")})
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// adminName names the inviter in mails: the signed-in admin under serve;
// nobody in the desktop window (the mail then names the organization).
func adminName(r *http.Request) string {
	if adm := adminFrom(r.Context()); adm != nil {
		// "Ms Virtanen invites you"; never the login ("it.admin invites
		// you"): an admin without a name is left out of the mail.
		return adm.Name
	}
	return ""
}

func (s *Server) createInvitations(w http.ResponseWriter, r *http.Request) {
	var req app.InviteRequest
	if err := decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	req.InvitedBy = adminName(r)
	res, err := s.app.Invite(r.Context(), r.PathValue("org"), req)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res.Localized(requestLanguage(r)))
}

func (s *Server) cancelInvitation(w http.ResponseWriter, r *http.Request) {
	inv, err := s.app.CancelInvitation(r.Context(), r.PathValue("org"), r.PathValue("invitation"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}

func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) {
	inv, err := s.app.ResendInvitation(r.Context(), r.PathValue("org"), r.PathValue("invitation"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inv)
}

func (s *Server) resendExpired(w http.ResponseWriter, r *http.Request) {
	n, err := s.app.ResendExpired(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, countJSON{Count: n})
}

type tokenJSON struct {
	Token string `json:"token"`
}

// lookupInvitation tells the accept page what to show and ask; every bad
// link gets the same 404 answer.
func (s *Server) lookupInvitation(w http.ResponseWriter, r *http.Request) {
	var in tokenJSON
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	page, err := s.app.InvitationByToken(r.Context(), in.Token)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	var in app.AcceptRequest
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	in.Client = clientAddr(r)
	res, err := s.app.AcceptInvitation(r.Context(), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// verifyEmail confirms a sign-up's address with its mail's token; every bad
// link gets the same 404 answer.
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) {
	var in tokenJSON
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.VerifyEmail(r.Context(), in.Token)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

package httpapi

import (
	"net/http"
	"time"

	"rollcall/app"
)

// Sign-up: the public routes pupils' tablets call (also through the LAN
// listener), and the admin's approval queue.
func (s *Server) signUpRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /api/public/codes/{code}", s.codeInfo)
	m.HandleFunc("POST /api/public/codes/{code}/signup", s.signUpWithCode)
	m.HandleFunc("POST /api/public/links/info", s.linkInfo)
	m.HandleFunc("POST /api/public/links/signup", s.signUpWithLink)
	m.HandleFunc("POST /api/public/account/invite-code", s.useInviteCode)
	m.HandleFunc("POST /api/public/account/invite-code/check", s.checkInviteCode)

	m.Handle("GET /api/signup-pause", s.admin(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.app.SignUpPauseStatus())
	}))
	m.Handle("DELETE /api/signup-pause", s.admin(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.app.ResumeSignUp(r.Context())
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	}))
	m.Handle("GET /api/organizations/{org}/signups", s.admin(s.listSignUps))
	m.Handle("GET /api/organizations/{org}/signups/count", s.admin(s.countSignUps))
	m.Handle("POST /api/organizations/{org}/signups/approve", s.admin(s.decideSignUps(true)))
	m.Handle("POST /api/organizations/{org}/signups/reject", s.admin(s.decideSignUps(false)))
}

func (s *Server) codeInfo(w http.ResponseWriter, r *http.Request) {
	info, err := s.app.CodeInfo(r.Context(), r.PathValue("code"), clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) signUpWithCode(w http.ResponseWriter, r *http.Request) {
	var f app.SignUpForm
	if err := decode(w, r, &f); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.SignUpWithCode(r.Context(), r.PathValue("code"), f, clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

type linkToken struct {
	Token string `json:"token"`
}

// linkInfo takes the token in the body, not the path, so that it never
// appears in a log line.
func (s *Server) linkInfo(w http.ResponseWriter, r *http.Request) {
	var in linkToken
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	info, err := s.app.LinkInfo(r.Context(), in.Token, clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

type linkSignUp struct {
	app.SignUpForm
	Token string `json:"token"`
}

func (s *Server) signUpWithLink(w http.ResponseWriter, r *http.Request) {
	var in linkSignUp
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.SignUpWithLink(r.Context(), in.Token, in.SignUpForm, clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

// useInviteCode is "Use invite code" on a signed-in user's page: a group
// code of the user's organization adds them to the group; a code of
// another organization, with move (after the page's confirmation), moves
// the account there, and this browser gets the new session (or none, while
// the move waits for approval).
func (s *Server) useInviteCode(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
		Move bool   `json:"move"`
	}
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, token, err := s.app.JoinWithCodeAsUser(r.Context(), userToken(r), in.Code, clientAddr(r), in.Move)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if in.Move {
		if token != "" {
			setUserCookie(w, r, token, app.UserSessionTTL)
		} else {
			setUserCookie(w, r, "", -time.Second)
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// checkInviteCode tells a signed-in user whose code it is, for the
// confirmation step before a move.
func (s *Server) checkInviteCode(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.CheckCodeAsUser(r.Context(), userToken(r), in.Code, clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) listSignUps(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.PendingSignUps(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"signups": list, "total": len(list)})
}

func (s *Server) countSignUps(w http.ResponseWriter, r *http.Request) {
	total, _, err := s.app.PendingCount(r.Context(), r.PathValue("org"), "")
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"pending": total})
}

type decision struct {
	IDs []string `json:"ids"`
	All bool     `json:"all"`
}

func (s *Server) decideSignUps(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in decision
		if err := decode(w, r, &in); err != nil {
			s.error(w, r, err)
			return
		}
		var n int
		var err error
		key := "approved"
		if approve {
			n, err = s.app.ApproveSignUps(r.Context(), r.PathValue("org"), in.IDs, in.All)
		} else {
			key = "rejected"
			n, err = s.app.RejectSignUps(r.Context(), r.PathValue("org"), in.IDs, in.All)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{key: n})
	}
}

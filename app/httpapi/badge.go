package httpapi

import (
	"bytes"
	"net/http"

	"rollcall/app"
	"rollcall/app/slips"
)

// Sign-in badges (app/badge.go). Making badges answers with their PDF:
// the codes exist only in it. Voiding answers with the count.
func (s *Server) badgeRoutes(m *http.ServeMux) {
	m.Handle("POST /api/organizations/{org}/users/{user}/badge", s.admin(s.issueBadges(func(r *http.Request) app.BadgeSelection {
		return app.BadgeSelection{User: r.PathValue("user")}
	})))
	m.Handle("DELETE /api/organizations/{org}/users/{user}/badge", s.admin(s.voidBadges(func(r *http.Request) app.BadgeSelection {
		return app.BadgeSelection{User: r.PathValue("user")}
	})))
	m.Handle("POST /api/organizations/{org}/groups/{group}/badges", s.admin(s.issueBadges(func(r *http.Request) app.BadgeSelection {
		return app.BadgeSelection{Group: r.PathValue("group")}
	})))
	m.Handle("POST /api/organizations/{org}/groups/{group}/badges/void", s.admin(s.voidBadges(func(r *http.Request) app.BadgeSelection {
		return app.BadgeSelection{Group: r.PathValue("group")}
	})))
	m.Handle("POST /api/organizations/{org}/badges", s.admin(s.issueBadges(func(*http.Request) app.BadgeSelection { return app.BadgeSelection{} })))
	m.Handle("POST /api/organizations/{org}/badges/void", s.admin(s.voidBadges(func(*http.Request) app.BadgeSelection { return app.BadgeSelection{} })))
	m.HandleFunc("POST /api/public/badge-signin", s.badgeSignIn)
}

// badgePrint is the body of a request that makes badges: the paper and
// layout of the PDF, and whether only people without a badge get one.
type badgePrint struct {
	Paper       string `json:"paper"`
	Layout      string `json:"layout"`
	OnlyMissing bool   `json:"only_missing"`
}

func (s *Server) issueBadges(sel func(*http.Request) app.BadgeSelection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in badgePrint
		if r.ContentLength != 0 {
			if err := decode(w, r, &in); err != nil {
				s.error(w, r, err)
				return
			}
		}
		o := slips.Options{Paper: in.Paper, Layout: in.Layout, Now: s.app.Now()}
		if err := o.Check(); err != nil {
			s.error(w, r, err)
			return
		}
		bs := sel(r)
		bs.OnlyMissing = in.OnlyMissing
		res, err := s.app.IssueBadges(r.Context(), r.PathValue("org"), bs)
		if err != nil {
			s.error(w, r, err)
			return
		}
		var buf bytes.Buffer
		if err := slips.Badges(&buf, res, o); err != nil {
			s.error(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		sendFile(w, slips.BadgesFileName(res, o.Now), "", buf.Bytes())
	}
}

func (s *Server) voidBadges(sel func(*http.Request) app.BadgeSelection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, err := s.app.VoidBadges(r.Context(), r.PathValue("org"), sel(r))
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"voided": n})
	}
}

// badgeScan is what the scan page sends: the code the camera or the
// scanner read, and the PIN when the first answer asked for it.
type badgeScan struct {
	Code string `json:"code"`
	PIN  string `json:"pin"`
}

// badgeSignIn signs a person in with a badge: the same cookies and answer
// as the password sign-in (userSignIn), except the known-device cookie: a
// badge does not make the browser known (app.SignInWithBadge).
func (s *Server) badgeSignIn(w http.ResponseWriter, r *http.Request) {
	var c badgeScan
	if err := decode(w, r, &c); err != nil {
		s.error(w, r, err)
		return
	}
	acc, in, err := s.app.SignInWithBadge(r.Context(), app.BadgeSignIn{Code: c.Code, PIN: c.PIN,
		Client: clientAddr(r), Previous: userToken(r)})
	if err != nil {
		s.error(w, r, err)
		return
	}
	setUserCookie(w, r, in.Token, app.UserSessionTTL)
	writeJSON(w, http.StatusOK, acc)
}

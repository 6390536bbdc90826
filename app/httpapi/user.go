package httpapi

import (
	"net/http"
	"strconv"

	"rollcall/app"
)

// userCreate is the body of POST .../users: the editable fields and an
// optional password. Fields the server decides (ID, status, times) are not accepted.
type userCreate struct {
	FirstName   string   `json:"first_name"`
	LastName    string   `json:"last_name"`
	Username    string   `json:"username"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone"`
	AccountType string   `json:"account_type"`
	Groups      []string `json:"groups"`
	Language    string   `json:"language"`
	Labels      []string `json:"labels"`
	JobTitle    string   `json:"job_title"`
	DeleteOn    string   `json:"delete_on"`
	Password    string   `json:"password"`
	// MustChangePassword asks for a new password at the first sign-in (with a password only).
	MustChangePassword bool `json:"must_change_password"`
	// SendActivation sends the person a link to set their password (by
	// mail, and by SMS to their phone when SMS is set up).
	SendActivation bool `json:"send_activation"`
	// SlipPassword, when given, generates the password (words, random, or
	// "" for the organization's style) in a job whose slip the admin
	// prints (app.CreateUserWithSlip); the answer then carries the job.
	SlipPassword *string `json:"slip_password"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := app.UserFilter{Query: q.Get("q"), Group: q.Get("group"), AccountType: q.Get("type"), Status: q.Get("status"), Label: q.Get("label")}
	// A slice, not a map: with both wrong, the answer names page every time.
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &f.Page}, {"per_page", &f.PerPage}, {"due", &f.DueWithin}} {
		name, dst := p.name, p.dst
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				s.error(w, r, app.FieldError(app.EINVALID, name, "%s must be a whole number from 1 up.", name))
				return
			}
			*dst = n
		}
	}
	page, err := s.app.Users(r.Context(), r.PathValue("org"), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in userCreate
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	uc := app.UserCreate{
		User: app.User{
			FirstName: in.FirstName, LastName: in.LastName, Username: in.Username, Email: in.Email,
			Phone: in.Phone, AccountType: in.AccountType, Groups: in.Groups, Language: in.Language,
			Labels: in.Labels, JobTitle: in.JobTitle, DeleteOn: in.DeleteOn, MustChangePassword: in.MustChangePassword,
		},
		Password:       in.Password,
		SendActivation: in.SendActivation,
	}
	if in.SlipPassword != nil {
		u, st, err := s.app.CreateUserWithSlip(r.Context(), r.PathValue("org"), ownerOf(r), uc, *in.SlipPassword)
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, struct {
			*app.User
			Job app.JobStatus `json:"job"`
		}{u, st.Localized(requestLanguage(r))})
		return
	}
	u, err := s.app.CreateUser(r.Context(), r.PathValue("org"), uc)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.app.User(r.Context(), r.PathValue("org"), r.PathValue("user"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var upd app.UserUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.app.UpdateUser(r.Context(), r.PathValue("org"), r.PathValue("user"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) setUserStatus(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.app.SetUserStatus(r.Context(), r.PathValue("org"), r.PathValue("user"), status)
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, u)
	}
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.app.DeleteUser(r.Context(), r.PathValue("org"), r.PathValue("user")); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// bulkUsers applies one action to many users: those ticked, or all that
// match a filter (app.BulkRequest).
func (s *Server) bulkUsers(w http.ResponseWriter, r *http.Request) {
	var in app.BulkRequest
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.app.BulkUsers(r.Context(), r.PathValue("org"), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res.Localized(requestLanguage(r)))
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	labels, err := s.app.UserLabels(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]string{"labels": labels})
}

// putUserRoles sets a person's admin roles (app.RolesUpdate).
func (s *Server) putUserRoles(w http.ResponseWriter, r *http.Request) {
	var upd app.RolesUpdate
	if err := decode(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.app.SetUserRoles(r.Context(), r.PathValue("org"), r.PathValue("user"), upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

package app

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in app/httpapi and to one exit
// status family on the command line; the domain never speaks HTTP itself.
const (
	EINVALID      = "invalid"           // the request is malformed or breaks a rule
	ENOTFOUND     = "not_found"         // the named thing does not exist
	ECONFLICT     = "conflict"          // a unique field is taken or a state forbids the change
	EUNAUTHORIZED = "unauthorized"      // nobody is signed in, or the credentials are wrong
	EFORBIDDEN    = "forbidden"         // signed in, but not allowed to do this
	ETOOMANY      = "too_many_requests" // a rate limit was hit; try again later
	// EPASSWORDCHANGE: signed in, but the account must choose a new password
	// before it may do anything else (a kind of forbidden).
	EPASSWORDCHANGE = "password_change_required"
	// ESECONDFACTOR: the password was right; the sign-in ends only with a
	// code from the admin's authenticator app (two-step sign-in, totp.go).
	ESECONDFACTOR = "second_factor_required"
	// ETWOSTEPSETUP: signed in, but two-step sign-in is required for every
	// admin and this one must set it up before anything else (a kind of
	// forbidden, like EPASSWORDCHANGE).
	ETWOSTEPSETUP = "two_step_setup_required"
	// EBADGEPIN: the badge is right; the sign-in ends only with the
	// person's PIN (badge.go).
	EBADGEPIN = "badge_pin_required"
	EINTERNAL = "internal" // a bug or an outside failure; details are logged, not shown
)

// Error is the one error shape of Rollcall. Message is written for the person
// at the screen and shown as it is; Details carries per-field messages
// (field name → message) so a form can show each next to its input.
type Error struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID or ECONFLICT error that names the field at fault.
func FieldError(code, field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: code, Message: msg, Details: map[string]string{field: msg}}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not *Error
// and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the human message of err; internal errors get a
// generic message so that no implementation detail leaks to a user.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "Something went wrong inside Rollcall. The details were written to its log."
	}
}

// validation collects field problems so that a form gets all of them at once.
type validation map[string]string

func (v validation) add(field, format string, args ...any) {
	if _, ok := v[field]; !ok {
		v[field] = fmt.Sprintf(format, args...)
	}
}

// err returns nil when there were no problems, else one EINVALID error whose
// message is the first problem (in field order given) and whose details hold all.
func (v validation) err(order ...string) error {
	if len(v) == 0 {
		return nil
	}
	msg := ""
	for _, f := range order {
		if m, ok := v[f]; ok {
			msg = m
			break
		}
	}
	if msg == "" {
		for _, m := range v {
			msg = m
			break
		}
	}
	return &Error{Code: EINVALID, Message: msg, Details: map[string]string(v)}
}

// ErrorDetails returns the per-field details of err, if any.
func ErrorDetails(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

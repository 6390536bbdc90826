package app

import (
	"errors"
	"fmt"
	"maps"
	"slices"
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
// Message and Details are in English; LocalizedMessage and LocalizedDetails
// put them into the person's language (see errorcatalogue.go).
type Error struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`

	// msg and details are Message and Details before they were put into
	// words: the English format and its arguments, to be looked up in the
	// error catalogues. A zero msg means Message has no translation.
	msg     text
	details map[string]text
}

func (e *Error) Error() string { return e.Message }

// text is a message not yet put into one language's words: its English
// format, which is its ID in the error catalogues, and the arguments.
type text struct {
	format string
	args   []any
}

func (t text) english() string { return fmt.Sprintf(t.format, t.args...) }

// String is t in English: a text given as an argument prints as its words.
func (t text) String() string { return t.english() }

// Errorf returns an *Error with the given code and a formatted message.
// The format is written in English and is also the message's ID in the
// error catalogues (app/locales/errors.*.json): keep it a constant.
func Errorf(code, format string, args ...any) *Error {
	m := text{format, args}
	return &Error{Code: code, Message: m.english(), msg: m}
}

// FieldError returns an EINVALID or ECONFLICT error that names the field at fault.
func FieldError(code, field, format string, args ...any) *Error {
	m := text{format, args}
	msg := m.english()
	return &Error{Code: code, Message: msg, Details: map[string]string{field: msg}, msg: m, details: map[string]text{field: m}}
}

// ErrRequestTooLarge is the error of a request body over the size limit.
func ErrRequestTooLarge() *Error { return Errorf(EINVALID, "The request is too large.") }

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

// internalMessage is what a person is told of an internal error.
const internalMessage = "Something went wrong inside Rollcall. The details were written to its log."

// ErrorMessage returns the human message of err in English; internal errors
// get a generic message so that no implementation detail leaks to a user.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return internalMessage
	}
}

// ErrorArg is err as an argument of a message (Errorf, FieldError, a
// validation's add): its *Error, which the message puts into the language
// it is shown in, or, for an internal error, the generic message. Never
// ErrorMessage(err) there: that is English already and stays so.
func ErrorArg(err error) any {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return text{format: internalMessage}
}

// validation collects field problems so that a form gets all of them at once.
type validation map[string]text

func (v validation) add(field, format string, args ...any) {
	if _, ok := v[field]; !ok {
		v[field] = text{format, args}
	}
}

// err returns nil when there were no problems, else one EINVALID error whose
// message is the first problem (in field order given) and whose details hold all.
func (v validation) err(order ...string) error {
	if len(v) == 0 {
		return nil
	}
	var msg text
	found := false
	for _, f := range order {
		if m, ok := v[f]; ok {
			msg, found = m, true
			break
		}
	}
	if !found {
		for _, f := range slices.Sorted(maps.Keys(v)) {
			msg = v[f]
			break
		}
	}
	details := make(map[string]string, len(v))
	for f, m := range v {
		details[f] = m.english()
	}
	return &Error{Code: EINVALID, Message: msg.english(), Details: details, msg: msg, details: map[string]text(v)}
}

// ErrorDetails returns the per-field details of err, if any.
func ErrorDetails(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

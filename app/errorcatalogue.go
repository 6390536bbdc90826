package app

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The error catalogues put the messages of errors (Errorf, FieldError,
// validation) and of import rows into a language, gettext style: a message's
// ID is its English format string as written in the Go code, e.g.
//
//	"The group %s does not exist.": "Ryhmää %s ei ole."
//
// One plain JSON object per language, app/locales/errors.{fi,sv,de}.json,
// which a translator edits (English needs none: the ID is the English). A
// translation keeps the format's verbs (%s, %d, %q…) in the same order, or
// numbers them (%[2]s … %[1]d) when the language needs another order;
// TestEveryErrorHasATranslation checks both. A message missing from a
// catalogue comes out in English.
//
// These are not go-i18n messages: their IDs are whole English sentences
// with dots and printf verbs, and their arguments are positional.
var errorCatalogues = map[string]map[string]string{}

func init() {
	for _, l := range Languages[1:] {
		b, err := localeFiles.ReadFile("locales/errors." + l + ".json")
		if err != nil {
			panic(fmt.Sprintf("app: the %s error catalogue: %v", l, err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("app: the %s error catalogue: %v", l, err))
		}
		errorCatalogues[l] = m
	}
}

// in is t in the language lang (one of Languages): the catalogue's
// translation of the format, filled with the arguments, themselves put into
// the language when they are messages or errors of Rollcall.
func (t text) in(lang string) string {
	format := t.format
	if tr, ok := errorCatalogues[lang][format]; ok && tr != "" {
		format = tr
	}
	args, copied := t.args, false
	for i, a := range t.args {
		var s string
		switch a := a.(type) {
		case text:
			s = a.in(lang)
		case *Error:
			s = LocalizedMessage(a, lang)
		default:
			continue
		}
		if !copied {
			args, copied = append([]any(nil), t.args...), true
		}
		args[i] = s
	}
	return fmt.Sprintf(format, args...)
}

// LocalizedMessage is ErrorMessage(err) in the language PickLanguage
// chooses from lang (e.g. an Accept-Language header): the message of an
// Error made by Errorf, FieldError or a validation is looked up in the
// error catalogues; any other is as ErrorMessage has it.
func LocalizedMessage(err error, lang string) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		if e.msg.format == "" {
			return e.Message
		}
		return e.msg.in(PickLanguage(lang))
	default:
		return Tr(lang, internalMessage)
	}
}

// LocalizedDetails is ErrorDetails(err) in the language PickLanguage
// chooses from lang.
func LocalizedDetails(err error, lang string) map[string]string {
	var e *Error
	if !errors.As(err, &e) || e.Details == nil {
		return nil
	}
	lang = PickLanguage(lang)
	out := make(map[string]string, len(e.Details))
	for f, m := range e.Details {
		if t, ok := e.details[f]; ok {
			m = t.in(lang)
		}
		out[f] = m
	}
	return out
}

// Tr is format filled with args in the language lang, from the error
// catalogues: for a message that is no error but is written gettext style
// like one (its format must be a constant, so the catalogue test finds it).
func Tr(lang, format string, args ...any) string {
	return text{format, args}.in(PickLanguage(lang))
}

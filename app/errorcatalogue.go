package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
		if e.msg.format == "" { // made as a string: matched against the formats
			return localizeReason(e.Message, PickLanguage(lang))
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
		} else {
			m = localizeReason(m, lang)
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

// textOf marks format as a message of the error catalogues where it is not
// given to Errorf, FieldError, Tr or the like (an entry of a table), so
// that the catalogue test finds it. It returns format.
func textOf(format string) string { return format }

// The messages of an import's rows (ImportRowPreview's Problems, Warnings
// and Skip, an ImportResultRow's Reason) are written in English when the
// import is previewed and kept so, with the draft or the job's result.
// They are put into a language when they are shown (Localized): each is
// matched against the English formats of the error catalogues, and the
// arguments it was made with are put into the translation. A message that
// matches no format stays English.

type renderedFormat struct {
	format string
	prefix string // the literal text before the first verb
	re     *regexp.Regexp
	verbs  []byte // each argument's verb
}

var (
	renderedOnce    sync.Once
	renderedFormats []renderedFormat
	renderedCache   sync.Map // lang + "\x00" + message → translation
	renderedCount   atomic.Int64
)

var formatVerb = regexp.MustCompile(`%(?:%|[-+# 0]*(?:\d+)?(?:\.\d+)?([a-zA-Z]))`)

func compileRenderedFormats() {
	for format := range errorCatalogues[Languages[1]] {
		var pat strings.Builder
		var verbs []byte
		prefix, last := "", 0
		pat.WriteString("^")
		for i, m := range formatVerb.FindAllStringSubmatchIndex(format, -1) {
			if i == 0 {
				prefix = format[:m[0]]
			}
			pat.WriteString(regexp.QuoteMeta(format[last:m[0]]))
			last = m[1]
			if m[2] < 0 { // %%
				pat.WriteString("%")
				continue
			}
			v := format[m[2]]
			verbs = append(verbs, v)
			switch v {
			case 'q':
				pat.WriteString(`("(?:[^"\\]|\\.)*")`)
			case 'd':
				pat.WriteString(`(-?[0-9]+)`)
			case 'c':
				pat.WriteString(`(.)`)
			default:
				pat.WriteString(`(.*?)`)
			}
		}
		if len(verbs) == 0 {
			continue // looked up as it is
		}
		pat.WriteString(regexp.QuoteMeta(format[last:]) + "$")
		renderedFormats = append(renderedFormats, renderedFormat{format: format, prefix: prefix, re: regexp.MustCompile(pat.String()), verbs: verbs})
	}
	// The longest prefixes first: the most particular format wins.
	slices.SortFunc(renderedFormats, func(a, b renderedFormat) int { return len(b.prefix) - len(a.prefix) })
}

// localizeRendered is the message s, made by fmt.Sprintf from a format of
// the error catalogues, in lang; s itself when no format matches.
func localizeRendered(s, lang string) string {
	if lang == Languages[0] || s == "" || errorCatalogues[lang] == nil {
		return s
	}
	if tr, ok := errorCatalogues[lang][s]; ok {
		return tr
	}
	key := lang + "\x00" + s
	if v, ok := renderedCache.Load(key); ok {
		return v.(string)
	}
	renderedOnce.Do(compileRenderedFormats)
	out := s
	for _, f := range renderedFormats {
		if !strings.HasPrefix(s, f.prefix) {
			continue
		}
		m := f.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		args := make([]any, len(f.verbs))
		ok := true
		for i, v := range f.verbs {
			a := m[i+1]
			switch v {
			case 'q':
				u, err := strconv.Unquote(a)
				ok = ok && err == nil
				args[i] = u
			case 'd':
				n, err := strconv.Atoi(a)
				ok = ok && err == nil
				args[i] = n
			case 'c':
				args[i] = []rune(a)[0]
			default:
				args[i] = a
			}
		}
		if ok {
			out = text{f.format, args}.in(lang)
			break
		}
	}
	if renderedCount.Add(1) > 100_000 { // a bound, not a leak: start over
		renderedCache.Clear()
		renderedCount.Store(0)
	}
	renderedCache.Store(key, out)
	return out
}

// localizeReason is s, one message or several joined by spaces (a row's
// Reason), in lang: each message that matches a format is translated.
func localizeReason(s, lang string) string {
	if lang == Languages[0] || s == "" {
		return s
	}
	if out := localizeRendered(s, lang); out != s {
		return out
	}
	// The messages end in ". ", "? " or "! ": try the longest run of
	// sentences from each start that is one message.
	var cuts []int // where a sentence ends (the index after its mark)
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == '.' || s[i] == '?' || s[i] == '!' || s[i] == ')') && s[i+1] == ' ' {
			cuts = append(cuts, i+1)
		}
	}
	if len(cuts) == 0 {
		return s
	}
	cuts = append(cuts, len(s))
	var out []string
	start := 0
	for start < len(s) {
		done := false
		for j := len(cuts) - 1; j >= 0; j-- {
			end := cuts[j]
			if end <= start {
				break
			}
			part := strings.TrimSpace(s[start:end])
			if tr := localizeRendered(part, lang); tr != part {
				out = append(out, tr)
				start, done = end, true
				break
			}
		}
		if !done { // no message starts here: keep the words up to the next cut
			next := len(s)
			for _, c := range cuts {
				if c > start {
					next = c
					break
				}
			}
			out = append(out, strings.TrimSpace(s[start:next]))
			start = next
		}
		for start < len(s) && s[start] == ' ' {
			start++
		}
	}
	return strings.Join(out, " ")
}

// Localized is p with its rows' messages in lang (PickLanguage chooses
// from it); p itself is not changed.
func (p *ImportPreview) Localized(lang string) *ImportPreview {
	lang = PickLanguage(lang)
	if p == nil || lang == Languages[0] {
		return p
	}
	q := *p
	q.Rows = make([]ImportRowPreview, len(p.Rows))
	for i, r := range p.Rows {
		r.Problems, r.Warnings = localizeMap(r.Problems, lang), localizeMap(r.Warnings, lang)
		r.Skip = localizeReason(r.Skip, lang)
		q.Rows[i] = r
	}
	return &q
}

func localizeMap(m map[string]string, lang string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = localizeReason(v, lang)
	}
	return out
}

// Localized is r with its rows' reasons and password notes in lang
// (PickLanguage chooses from it); r itself is not changed.
func (r *ImportResult) Localized(lang string) *ImportResult {
	lang = PickLanguage(lang)
	if r == nil || lang == Languages[0] {
		return r
	}
	q := *r
	q.Rows = make([]ImportResultRow, len(r.Rows))
	for i, row := range r.Rows {
		row.Reason = localizeReason(row.Reason, lang)
		row.PasswordNote = localizeRendered(row.PasswordNote, lang)
		q.Rows[i] = row
	}
	return &q
}

// Localized is p with its rows' problems and warnings in lang
// (PickLanguage chooses from it); p itself is not changed.
func (p *AccountPreview) Localized(lang string) *AccountPreview {
	lang = PickLanguage(lang)
	if p == nil || lang == Languages[0] {
		return p
	}
	q := *p
	q.Rows = make([]AccountRow, len(p.Rows))
	for i, r := range p.Rows {
		r.Problems, r.Warnings = localizeMap(r.Problems, lang), localizeMap(r.Warnings, lang)
		q.Rows[i] = r
	}
	return &q
}

// LocalizeText is s, a message made from a format of the error catalogues
// (or several such, joined by spaces), in the language PickLanguage
// chooses from lang; s as it is when no format matches.
func LocalizeText(s, lang string) string { return localizeReason(s, PickLanguage(lang)) }

package app

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Limits on free text, shared by every entity.
const (
	MaxNameLength  = 100 // names of people, groups and organizations, in characters
	MaxEmailLength = 254 // RFC 5321 path limit
	MaxLabelLength = 50
	MaxLabels      = 20
)

// Plural is n with the word, in the plural unless n is 1: "1 row", "3 rows".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Clean trims s and brings it to Unicode NFC, the form in which text is stored.
func Clean(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// Key is the form used for case-insensitive uniqueness (usernames, emails,
// group names, slugs): cleaned and lower-cased.
func Key(s string) string { return strings.ToLower(Clean(s)) }

// CleanUsername trims a username and brings it to Unicode NFKC, the form in
// which usernames are stored: full-width ｐｕｐｉｌ becomes pupil, the
// ligature ﬁ becomes fi.
func CleanUsername(s string) string { return norm.NFKC.String(strings.TrimSpace(s)) }

// LoginKey is the form in which usernames and email addresses are unique and
// looked up (UTS #39 and RFC 8265 compare identifiers this way): NFKC, full
// case folding (Straße = STRASSE), NFKC again. It is idempotent, so a key can
// be keyed again safely.
func LoginKey(s string) string {
	s = strings.TrimSpace(s)
	if isPrintableASCII(s) { // NFKC leaves it as it is, and folding is lower case
		return strings.ToLower(s)
	}
	return norm.NFKC.String(loginFold.String(norm.NFKC.String(s)))
}

// isPrintableASCII reports whether s holds only printable ASCII characters.
func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

var loginFold = cases.Fold()

// SortKey is the form lists are ordered by: lower case with accents
// dropped, so École sorts beside Emil, Ålund beside Anders and Kılıç beside
// Kilpi (letters that are not a base letter plus an accent, such as the
// Turkish dotless ı or the Polish ł, are folded too).
func SortKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(strings.TrimSpace(s))) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case sortFold[r] != 0:
			b.WriteRune(sortFold[r])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sortFold maps letters that do not decompose to the base letter they sort with.
var sortFold = map[rune]rune{'ı': 'i', 'ł': 'l', 'ø': 'o', 'đ': 'd', 'ħ': 'h', 'ŧ': 't'}

// hasControl reports whether s holds a control or format character (including
// bidi overrides) or is not valid UTF-8: such text is refused, not stored.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// checkName validates a required human-readable name already cleaned.
// The label is a message of the error catalogues too, translated with the
// sentence it is put into.
func checkName(v validation, field, label, s string) {
	l := text{format: label}
	switch {
	case s == "":
		v.add(field, "%s is required.", l)
	case utf8.RuneCountInString(s) > MaxNameLength:
		v.add(field, "%s is too long: at most %d characters.", l, MaxNameLength)
	case hasControl(s):
		v.add(field, "%s contains a control character; remove it and try again.", l)
	}
}

// checkEmail validates an optional, already cleaned email address.
func checkEmail(v validation, field, s string) {
	if s == "" {
		return
	}
	if len(s) > MaxEmailLength {
		v.add(field, "The email address is too long: at most %d characters.", MaxEmailLength)
		return
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || hasControl(s) || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		v.add(field, "%q is not a valid email address (expected something like name@school.org).", s)
	}
}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// checkDate validates an optional YYYY-MM-DD date.
func checkDate(v validation, field, s string) {
	if s == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil || !dateRe.MatchString(s) {
		v.add(field, "%q is not a date in the form YYYY-MM-DD.", s)
	}
}

// checkLanguage validates an optional BCP 47 language tag such as "en" or "pt-BR".
func checkLanguage(v validation, field, s string) {
	if s == "" {
		return
	}
	if len(s) > 35 || hasControl(s) {
		v.add(field, "%q is not a language code (expected e.g. en, fi, sv, de).", s)
		return
	}
	if _, err := language.Parse(s); err != nil {
		v.add(field, "%q is not a language code (expected e.g. en, fi, sv, de).", s)
	}
}

// checkSpoken validates an optional language that Rollcall must speak (an
// organization's default, an invitation's or a sign-up's language): one of
// Languages, so that its mails and pages exist. A regional tag of one
// (fi-FI, de-AT) is that language; the language is returned as stored.
func checkSpoken(v validation, field, s string) string {
	if s == "" || Speaks(s) {
		return s
	}
	if l := PickLanguage(s); strings.HasPrefix(strings.ToLower(s), l+"-") || strings.HasPrefix(strings.ToLower(s), l+"_") {
		return l
	}
	v.add(field, "%q is not one of the languages Rollcall speaks: choose one of %s.", s, strings.Join(Languages, ", "))
	return s
}

// cleanLabels trims labels, drops empty ones and duplicates, and validates the rest.
func cleanLabels(v validation, field string, in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, l := range in {
		l = Clean(l)
		if l == "" || seen[Key(l)] {
			continue
		}
		seen[Key(l)] = true
		switch {
		case utf8.RuneCountInString(l) > MaxLabelLength:
			v.add(field, "The label %q is too long: at most %d characters.", l, MaxLabelLength)
		case hasControl(l):
			v.add(field, "A label contains a control character.")
		}
		out = append(out, l)
	}
	if len(out) > MaxLabels {
		v.add(field, "At most %d labels per user.", MaxLabels)
	}
	return out
}

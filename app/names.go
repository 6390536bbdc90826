package app

import (
	"strings"
)

// Forms a pasted line can take.
const (
	FormFirstLast = "first last"  // Ada Lovelace
	FormLastFirst = "last, first" // Lovelace, Ada
	FormColumns   = "columns"     // first<TAB>last[<TAB>username][<TAB>password], from a spreadsheet
	FormUsername  = "username"    // ada.lovelace: a bare username, one per line
)

// NameLine is one person as understood from a pasted line.
type NameLine struct {
	Line      int    `json:"line"` // 1-based line number in the pasted text
	Form      string `json:"form"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username,omitempty"`
	Password  string `json:"password,omitempty"`
	// HasPassword says, in answers to the browser, that the line has a
	// password: the API never echoes a pasted password back.
	HasPassword bool `json:"has_password,omitempty"`
}

// MaxNameLines bounds one pasted batch.
const MaxNameLines = 5000

// ParseNames reads one person per line: "First Last", "Last, First",
// tab-separated columns pasted from a spreadsheet (first, last[, username]
// [, password]), or a bare username. Empty lines are skipped, and so is a
// first line of columns that looks like a header (first name / last name).
func ParseNames(text string) []NameLine {
	var out []NameLine
	text = strings.TrimPrefix(text, "\ufeff")
	for i, raw := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		raw = strings.TrimRight(raw, "\r")
		if strings.TrimSpace(raw) == "" {
			continue
		}
		l := NameLine{Line: i + 1}
		switch {
		case strings.Contains(raw, "\t"):
			cols := strings.Split(raw, "\t")
			for j := range cols {
				cols[j] = Clean(cols[j])
			}
			if len(out) == 0 && looksLikeHeader(cols) {
				continue
			}
			l.Form = FormColumns
			l.FirstName = col(cols, 0)
			l.LastName = col(cols, 1)
			l.Username = col(cols, 2)
			l.Password = strings.TrimSpace(col(cols, 3))
		case strings.Contains(raw, ","):
			l.Form = FormLastFirst
			l.FirstName, l.LastName = SplitName(raw)
		case len(strings.Fields(raw)) == 1 && looksLikeUsername(raw):
			l.Form, l.Username, l.FirstName = FormUsername, Clean(raw), Clean(raw)
		case len(strings.Fields(raw)) == 1:
			// One word that is no username (李小龍, Emma): a name alone,
			// whose username is made from it like any other.
			l.Form, l.FirstName = FormFirstLast, Clean(raw)
		default:
			l.Form = FormFirstLast
			l.FirstName, l.LastName = SplitName(raw)
		}
		out = append(out, l)
	}
	return out
}

// SplitName splits a full name: "Lovelace, Ada" (last, first), or the
// words of "Ada King Lovelace": the last word is the last name, together
// with the particles just before it (van, de, von, der, El, al, bin, ...:
// "Fatima Zahra El Amrani" → Fatima Zahra / El Amrani, "Ludwig van der
// Berg" → Ludwig / van der Berg), and every word before that is the given
// name. The first word is always a given name. The one reading of a name in
// one cell, for pasted lines, import files and invitation addresses; the
// import preview asks to check names of three or more words.
func SplitName(s string) (first, last string) {
	if l, f, ok := strings.Cut(s, ","); ok {
		return Clean(f), Clean(l)
	}
	fields := strings.Fields(s)
	switch len(fields) {
	case 0:
		return "", ""
	case 1:
		return Clean(fields[0]), ""
	}
	at := len(fields) - 1
	for at > 1 && nameParticles[strings.ToLower(fields[at-1])] {
		at--
	}
	return Clean(strings.Join(fields[:at], " ")), Clean(strings.Join(fields[at:], " "))
}

// nameParticles are the words that begin a last name of several words
// (Dutch, German, French, Spanish, Portuguese, Italian, Arabic, Malay,
// Scandinavian), compared in lower case.
var nameParticles = map[string]bool{
	"van": true, "von": true, "der": true, "den": true, "de": true, "del": true, "della": true, "di": true,
	"da": true, "das": true, "do": true, "dos": true, "du": true, "des": true, "la": true, "le": true,
	"ter": true, "ten": true, "te": true, "zu": true, "zum": true, "zur": true, "af": true, "av": true,
	"el": true, "al": true, "bin": true, "binti": true, "ibn": true, "ben": true, "bint": true, "abu": true,
}

// looksLikeUsername reports whether one pasted word is a username rather
// than a name: lower-case ASCII letters, digits and . _ - only (ada.l,
// ada_l, ada2, ada). "Emma" and "李小龍" are names.
func looksLikeUsername(w string) bool {
	w = strings.TrimSpace(w)
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return w != ""
}

func col(cols []string, i int) string {
	if i < len(cols) {
		return cols[i]
	}
	return ""
}

func looksLikeHeader(cols []string) bool {
	first := strings.ReplaceAll(Key(col(cols, 0)), "_", " ")
	return first == "first name" || first == "first" || first == "given name" || first == "firstname"
}

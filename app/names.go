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
		case len(strings.Fields(raw)) == 1:
			l.Form, l.Username, l.FirstName = FormUsername, Clean(raw), Clean(raw)
		default:
			l.Form = FormFirstLast
			l.FirstName, l.LastName = SplitName(raw)
		}
		out = append(out, l)
	}
	return out
}

// SplitName splits a full name: "Lovelace, Ada" (last, first) or "Ada
// Lovelace" (the last word is the last name). The one reading of a name in
// one cell, for pasted lines, import files and invitation addresses.
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
	return Clean(strings.Join(fields[:len(fields)-1], " ")), Clean(fields[len(fields)-1])
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

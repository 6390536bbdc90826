package roster

import (
	"strings"

	"rollcall/app"
)

// ParsePaste reads people pasted into a box. Text whose first line names
// columns (pasted from a spreadsheet, or a CSV opened in an editor) is read
// like a CSV file; otherwise each line is in ilos' form
//
//	First Last,email[,password]
//
// where the name may also be "Last, First" only when followed by an email
// (the second field holds an @). Blank lines are skipped; Line is the line
// number in the pasted text.
func ParsePaste(text string, lim Limits) (*app.ImportFile, error) {
	if int64(len(text)) > lim.MaxBytes {
		return nil, tooLarge(lim)
	}
	text = strings.TrimPrefix(text, "\ufeff")
	if first := firstLine(text); first != "" {
		if m, known := newMapping(splitHeader(first, Delimiter(first))); known >= 2 && m.usable() {
			f, err := ReadCSV([]byte(text), lim)
			if err != nil {
				return nil, err
			}
			f.Format, f.Name = app.FormatPaste, "pasted text"
			f.SHA256 = Sum([]byte(text))
			return f, nil
		}
	}
	f := &app.ImportFile{Name: "pasted text", Format: app.FormatPaste, SHA256: Sum([]byte(text)),
		Columns: []string{"first_name", "last_name", "email", "password"}, Unknown: []string{}}
	for i, raw := range strings.Split(text, "\n") {
		raw = strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if raw == "" {
			continue
		}
		if len(f.Rows) >= lim.MaxRows {
			return nil, invalid("More than %d lines were pasted; split them.", lim.MaxRows)
		}
		values := make([]string, len(app.ImportFields))
		parts := strings.Split(raw, ",")
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		name := parts[0]
		rest := parts[1:]
		// "Lovelace, Ada, ada@example.org": a comma inside the name.
		if len(parts) >= 3 && !strings.Contains(parts[1], "@") && strings.Contains(parts[2], "@") {
			name, rest = parts[1]+" "+parts[0], parts[2:]
			values[app.ColFirstName], values[app.ColLastName] = parts[1], parts[0]
		} else {
			values[app.ColFirstName], values[app.ColLastName] = app.SplitName(name)
		}
		if len(rest) > 0 {
			values[app.ColEmail] = rest[0]
		}
		if len(rest) > 1 {
			// A password may itself hold commas.
			values[app.ColPassword] = strings.Join(rest[1:], ",")
		}
		f.Rows = append(f.Rows, app.ImportRow{Line: i + 1, Values: values})
	}
	if len(f.Rows) == 0 {
		return nil, invalid("Nothing was pasted. Paste one person per line: First Last,email[,password].")
	}
	return f, nil
}

func firstLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

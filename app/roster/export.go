package roster

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/encoding/charmap"

	"rollcall/app"
	"rollcall/app/sheet"
)

// WriteExport writes the roster x in its format (x.Options.Format): one of
// app.ExportFormats. The CSV uses x's delimiter and encoding; the others
// are UTF-8 and comma-separated, as the platforms that read them expect.
func WriteExport(w io.Writer, x *app.Roster) error {
	switch x.Options.Format {
	case app.ExportCSV:
		return writeCSV(w, rollcallRows(x), x.Options)
	case app.ExportXLSX:
		return writeTextSheet(w, "People", rollcallRows(x), nil)
	case app.ExportOneRoster:
		return WriteOneRoster(w, x)
	case app.ExportGoogle:
		return sheet.WriteCSVWith(w, googleRows(x), sheet.CSVOptions{})
	case app.ExportEntra:
		return sheet.WriteCSVWith(w, entraRows(x), sheet.CSVOptions{})
	case app.ExportMoodle:
		return sheet.WriteCSVWith(w, moodleRows(x), sheet.CSVOptions{})
	}
	return fmt.Errorf("roster: no export format %q", x.Options.Format)
}

// ExportFileName is the name to save x as: rollcall-maple-3b-2026-03-02.csv,
// rollcall-maple-2026-03-02-oneroster.zip, accounts-maple-...-entra.csv for
// a credentials file.
func ExportFileName(x *app.Roster) string {
	name := "rollcall-" + x.Org.Slug
	if x.Passwords {
		name = "accounts-" + x.Org.Slug
	}
	if x.Group != nil {
		if g := fileSlug(x.Group.Name); g != "" {
			name += "-" + g
		}
	}
	name += "-" + x.At.Format("2006-01-02")
	switch f := x.Options.Format; f {
	case app.ExportCSV, app.ExportXLSX:
		return name + "." + f
	case app.ExportOneRoster:
		return name + "-oneroster.zip"
	default:
		return name + "-" + f + ".csv"
	}
}

// ExportContentType is the MIME type of x's file.
func ExportContentType(x *app.Roster) string {
	switch x.Options.Format {
	case app.ExportXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case app.ExportOneRoster:
		return "application/zip"
	case app.ExportCSV:
		if x.Options.Encoding == app.EncodingWindows1252 {
			return "text/csv; charset=windows-1252"
		}
	}
	return "text/csv; charset=utf-8"
}

// fileSlug keeps the letters and digits of s (lower case, ASCII) and joins
// the rest with dashes, for a file name.
func fileSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// writeCSV writes rows with the delimiter and encoding of o; a cell that
// the encoding cannot hold is refused, naming the cell and the way out.
func writeCSV(w io.Writer, rows [][]string, o app.ExportOptions) error {
	opt := sheet.CSVOptions{Comma: []rune(o.Delimiter)[0], BOM: true}
	if o.Encoding == app.EncodingWindows1252 {
		opt.Encoder = charmap.Windows1252.NewEncoder()
	}
	err := sheet.WriteCSVWith(w, rows, opt)
	var bad *sheet.UnencodableError
	if errors.As(err, &bad) {
		return app.FieldError(app.EINVALID, "encoding", "%q (row %d) has characters Windows-1252 cannot hold. Choose UTF-8, which Excel reads as well.", bad.Value, bad.Row+1)
	}
	return err
}

// rollcallRows are the roster as Rollcall's import template: its columns
// (app.ImportFields; the password column only in a credentials file) and
// one row per person, so the file is read back by Rollcall's import as it
// is. Groups and labels are joined with "; ". A deletion date that has
// passed is left out: the import refuses it, and in another organization
// it would delete the person at once.
func rollcallRows(x *app.Roster) [][]string {
	var header []string
	for i, f := range app.ImportFields {
		if i != app.ColPassword || x.Passwords {
			header = append(header, f)
		}
	}
	rows := [][]string{header}
	today := x.At.Format(time.DateOnly)
	for _, p := range x.People {
		u := p.User
		v := make([]string, len(app.ImportFields))
		v[app.ColFirstName], v[app.ColLastName] = u.FirstName, u.LastName
		v[app.ColEmail], v[app.ColUsername] = u.Email, u.Username
		v[app.ColPassword] = p.Password
		v[app.ColAccountType] = u.AccountType
		v[app.ColGroups] = strings.Join(groupNames(x.GroupsOf(u)), "; ")
		v[app.ColLanguage], v[app.ColPhone] = u.Language, u.Phone
		v[app.ColLabels] = strings.Join(u.Labels, "; ")
		if u.DeleteOn > today {
			v[app.ColDeletionDate] = u.DeleteOn
		}
		v[app.ColJobTitle] = u.JobTitle
		v[app.ColChangePassword] = "FALSE"
		if u.MustChangePassword {
			v[app.ColChangePassword] = "TRUE"
		}
		if !x.Passwords {
			v = append(v[:app.ColPassword], v[app.ColPassword+1:]...)
		}
		rows = append(rows, v)
	}
	return rows
}

func groupNames(groups []*app.Group) []string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	return names
}

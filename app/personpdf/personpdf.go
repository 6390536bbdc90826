// Package personpdf prints, on one page, everything Rollcall keeps about one
// person (app.PersonExport), for the person or their parents: the fields,
// the groups, and the account's history. The JSON export carries the same
// data for machines.
package personpdf

import (
	"fmt"
	"io"
	"strings"
	"time"

	"rollcall/app"
	"rollcall/app/pdftext"
)

const (
	left   = 20.0
	width  = 170.0
	labelW = 50.0
	bottom = 280.0
)

// Write prints x as a one-page A4 PDF. Long histories are shortened to
// what fits, saying how many entries the JSON export has besides.
func Write(w io.Writer, x *app.PersonExport) error {
	d, err := pdftext.New("A4", x.ExportedAt)
	if err != nil {
		return err
	}
	u := x.User
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	pdf := d.PDF
	pdf.SetTitle("Everything Rollcall keeps about "+name, true)
	pdf.AddPage()
	y := 25.0
	title := "Everything Rollcall keeps about " + name
	size := d.Fit(pdftext.Bold, 16, 10, width, title)
	d.Text(left, y, pdftext.Bold, size, 0, d.Ellipsize(pdftext.Bold, size, width, title))
	y += 7
	d.Text(left, y, pdftext.Sans, 9, 90, d.Ellipsize(pdftext.Sans, 9, width,
		fmt.Sprintf("%s · exported %s", x.Organization.Name, x.ExportedAt.Format("2 January 2006, 15:04 MST"))))
	y += 10

	heading := func(s string) {
		y += 3
		d.Text(left, y, pdftext.Bold, 11, 0, s)
		y += 2
		pdf.SetDrawColor(180, 180, 180)
		pdf.Line(left, y, left+width, y)
		y += 5
	}
	row := func(label, value string) {
		if value == "" {
			value = "—"
		}
		d.Text(left, y, pdftext.Sans, 9, 90, label)
		for i, line := range d.Wrap(pdftext.Sans, 10, width-labelW, value, "") {
			if i > 0 {
				y += 4.5
			}
			d.Text(left+labelW, y, pdftext.Sans, 10, 0, line)
		}
		y += 5.5
	}

	heading("The account")
	row("First name", u.FirstName)
	row("Last name", u.LastName)
	row("Username", u.Username)
	row("Email", u.Email)
	row("Phone", u.Phone)
	row("Account type", u.AccountType)
	row("Job title", u.JobTitle)
	row("Language", u.Language)
	row("Labels", strings.Join(u.Labels, ", "))
	row("Status", u.Status)
	password := "not set"
	if x.HasPassword {
		password = "set (only a one-way hash is kept, never the password)"
	}
	row("Password", password)
	if u.MustChangePassword {
		row("", "A new password is asked for at the next sign-in.")
	}
	deletion := "none"
	if u.DeleteOn != "" {
		deletion = fmt.Sprintf("%s: the account is switched off that day and erased for good on %s", u.DeleteOn, x.PurgeOn)
	}
	row("Deletion date", deletion)

	heading("Groups")
	if len(x.Groups) == 0 {
		row("", "In no group")
	}
	for _, g := range x.Groups {
		row(g.Kind, g.Name)
	}

	heading("History")
	for i, h := range x.History {
		if y > bottom-12 {
			d.Text(left, y, pdftext.Sans, 9, 90, fmt.Sprintf("… and %d more entries in the JSON export.", len(x.History)-i))
			y += 5.5
			break
		}
		row(h.At.Format(time.DateOnly), h.What)
	}

	d.Text(left, bottom+5, pdftext.Sans, 8, 110, "Rollcall keeps nothing else about this person: no password, no tracking.")
	return pdf.Output(w)
}

// FileName is the download's name for the person: person-USERNAME.pdf or .json.
func FileName(x *app.PersonExport, ext string) string {
	base := x.User.Username
	if base == "" {
		base = x.User.ID
	}
	return "person-" + base + ext
}

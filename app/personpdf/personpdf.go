// Package personpdf prints, on one page, everything Rollcall keeps about one
// person (app.PersonExport), for the person or their parents: the fields,
// the groups, and the account's history. The JSON export carries the same
// data for machines.
package personpdf

import (
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
	tx := app.TextsFor(x.Organization.Language)
	title := tx.T("pdf.person.title", "Name", name)
	pdf.SetTitle(title, true)
	pdf.AddPage()
	y := 25.0
	size := d.Fit(pdftext.Bold, 16, 10, width, title)
	d.Text(left, y, pdftext.Bold, size, 0, d.Ellipsize(pdftext.Bold, size, width, title))
	y += 7
	d.Text(left, y, pdftext.Sans, 9, 90, d.Ellipsize(pdftext.Sans, 9, width,
		tx.T("pdf.person.exported", "Org", x.Organization.Name, "Date", tx.DateTime(x.ExportedAt)+" "+x.ExportedAt.Format("MST"))))
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

	heading(tx.T("pdf.person.account"))
	row(tx.T("pdf.person.firstName"), u.FirstName)
	row(tx.T("pdf.person.lastName"), u.LastName)
	row(tx.T("pdf.person.username"), u.Username)
	row(tx.T("pdf.person.email"), u.Email)
	row(tx.T("pdf.person.phone"), u.Phone)
	row(tx.T("pdf.person.accountType"), u.AccountType)
	row(tx.T("pdf.person.jobTitle"), u.JobTitle)
	row(tx.T("pdf.person.language"), u.Language)
	row(tx.T("pdf.person.labels"), strings.Join(u.Labels, ", "))
	row(tx.T("pdf.person.status"), u.Status)
	password := tx.T("pdf.person.passwordNotSet")
	if x.HasPassword {
		password = tx.T("pdf.person.passwordSet")
	}
	row(tx.T("pdf.person.password"), password)
	if u.MustChangePassword {
		row("", tx.T("pdf.person.mustChange"))
	}
	deletion := tx.T("pdf.person.deletionNone")
	if u.DeleteOn != "" {
		deletion = tx.T("pdf.person.deletionOn", "Date", u.DeleteOn, "Purge", x.PurgeOn)
	}
	row(tx.T("pdf.person.deletion"), deletion)

	heading(tx.T("pdf.person.groups"))
	if len(x.Groups) == 0 {
		row("", tx.T("pdf.person.noGroup"))
	}
	for _, g := range x.Groups {
		row(g.Kind, g.Name)
	}

	heading(tx.T("pdf.person.history"))
	for i, h := range x.History {
		if y > bottom-12 {
			d.Text(left, y, pdftext.Sans, 9, 90, tx.N("pdf.person.more", len(x.History)-i))
			y += 5.5
			break
		}
		row(h.At.Format(time.DateOnly), h.What)
	}

	d.Text(left, bottom+5, pdftext.Sans, 8, 110, tx.T("pdf.person.nothingElse"))
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

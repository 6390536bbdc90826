package slips

import (
	"fmt"
	"io"
	"strings"
	"time"

	"rollcall/app"
	"rollcall/app/qr"
)

// Badges writes the sign-in badges PDF (app/badge.go): one badge per
// person on the slips' papers and layouts (cut lines or Avery labels): the
// class and organization, the name, and a large QR code holding the badge
// code — no photo, no password, no address in the code. Badges that need a
// PIN are marked so; the PINs follow on a page of their own for the
// teacher, to be handed out apart from the badges (a PIN on the badge
// would be no second factor).
func Badges(w io.Writer, res *app.IssuedBadges, o Options) error {
	if err := o.Check(); err != nil {
		return err
	}
	d, err := newDoc(o.Paper, o.Now)
	if err != nil {
		return err
	}
	d.PDF.SetTitle(app.TextsFor(res.Org.Language).T("pdf.badges.title", "Org", res.Org.Name), true)
	g := layout(o)
	per := g.cols * g.rows
	for i := range res.Badges {
		k := i % per
		if k == 0 {
			d.PDF.AddPage()
			if g.cut {
				d.cutLines(g, min(per, len(res.Badges)-i))
			}
		}
		x := g.left + float64(k%g.cols)*g.pitchX
		y := g.top + float64(k/g.cols)*g.pitchY
		if err := d.badge(res.Org, &res.Badges[i], x, y, g); err != nil {
			return err
		}
	}
	if len(res.Badges) == 0 {
		d.PDF.AddPage()
	}
	d.pinPage(res, g, o.Now)
	if err := d.PDF.Error(); err != nil {
		return err
	}
	return d.PDF.Output(w)
}

// badge draws one badge with its top-left corner at (x, y): the QR code as
// large as the badge's height allows on the left, the text beside it.
func (d *doc) badge(org *app.Organization, b *app.IssuedBadge, x, y float64, g grid) error {
	u := b.User
	innerW, innerH := g.w-2*g.pad, g.h-2*g.pad
	left, top := x+g.pad, y+g.pad
	side := min(innerH, 40)
	m, err := qr.Matrix(b.Code)
	if err != nil {
		return err
	}
	qr.DrawMatrixPDF(d.PDF, m, left, top+(innerH-side)/2, side)

	tx := left + side + 4
	tw := innerW - side - 4
	compact := g.h < 45
	small, nameSize := 7.5, 18.0
	if compact {
		small, nameSize = 6.5, 14.0
	}
	line := org.Name
	if len(b.Groups) > 0 {
		line = strings.Join(b.Groups, ", ") + "  ·  " + org.Name
	}
	baseline := top + ptToMM(small)*0.9
	d.Text(tx, baseline, sans, small, 100, d.Ellipsize(sans, small, tw, line))

	// The name, large; first and last name on two lines when one is too narrow.
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	lines := []string{name}
	size := d.Fit(bold, nameSize, minSize, tw, name)
	if d.Width(bold, nameSize, name) > tw && u.FirstName != "" && u.LastName != "" {
		lines = []string{u.FirstName, u.LastName}
		size = min(d.Fit(bold, nameSize, minSize, tw, u.FirstName), d.Fit(bold, nameSize, minSize, tw, u.LastName))
	}
	for i, l := range lines {
		if i == 0 {
			baseline += ptToMM(nameSize) * 1.1
		} else {
			baseline += ptToMM(size) * 1.1
		}
		d.Text(tx, baseline, bold, size, 0, d.Ellipsize(bold, size, tw, l))
	}

	bottom := top + innerH - 0.5
	words := app.TextsFor(org.Language)
	note := words.T("pdf.badges.note")
	if b.PIN != "" {
		note = words.T("pdf.badges.notePIN")
	}
	for i, l := range d.Wrap(sans, small, tw, note, "") {
		if i > 1 {
			break
		}
		d.Text(tx, bottom-ptToMM(small)*1.2+float64(i)*ptToMM(small)*1.2, sans, small, 100, l)
	}
	return nil
}

// pinPage lists the PINs of the badges that have one, for the teacher.
func (d *doc) pinPage(res *app.IssuedBadges, g grid, now time.Time) {
	var rows []*app.IssuedBadge
	for i := range res.Badges {
		if res.Badges[i].PIN != "" {
			rows = append(rows, &res.Badges[i])
		}
	}
	if len(rows) == 0 {
		return
	}
	left, top := 20.0, 20.0
	y := top
	tx := app.TextsFor(res.Org.Language)
	header := func() {
		d.PDF.AddPage()
		y = top
		d.Text(left, y, bold, 16, 0, tx.T("pdf.badges.pinTitle"))
		y += 7
		d.Text(left, y, sans, 9, 100, tx.T("pdf.badges.pinHint"))
		y += 10
	}
	header()
	for _, b := range rows {
		if y > g.pageH-20 {
			header()
		}
		name := strings.TrimSpace(b.User.FirstName + " " + b.User.LastName)
		if len(b.Groups) > 0 {
			name += " (" + strings.Join(b.Groups, ", ") + ")"
		}
		d.Text(left, y, sans, 11, 0, d.Ellipsize(sans, 11, 120, name))
		d.Text(left+125, y, mono, 13, 0, b.PIN)
		y += 7
	}
	if !now.IsZero() {
		d.Text(left, g.pageH-12, sans, 7, 120, tx.T("pdf.badges.printed", "Date", tx.DateTime(now)))
	}
}

// BadgesFileName is the badge PDF's file name.
func BadgesFileName(res *app.IssuedBadges, now time.Time) string {
	return fmt.Sprintf("badges-%s-%s.pdf", res.Org.Slug, now.Format("2006-01-02"))
}

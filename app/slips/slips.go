// Package slips prints the one-time credentials of new or reset accounts:
// slips to cut out and hand to each pupil (name, username, password and a
// QR code that opens the sign-in page), a class sheet for the teacher's
// records, and the results CSV. Plain passwords exist only in what these
// functions write; nothing here touches the database.
package slips

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rollcall/app"
	"rollcall/app/qr"
	"rollcall/app/sheet"
)

// Papers.
const (
	PaperA4     = "a4"
	PaperLetter = "letter"
)

// Layouts of the slips PDF.
const (
	// LayoutCutLines: 10 slips per page (2 × 5) on plain paper, with dashed
	// lines to cut along.
	LayoutCutLines = "cutlines"
	// LayoutAvery: self-adhesive labels, no lines. On A4, Avery L7163
	// (99.1 × 38.1 mm, 2 × 7 = 14 per sheet); on US Letter, Avery 5163
	// (4 × 2 in, 2 × 5 = 10 per sheet).
	LayoutAvery = "avery"
)

// Options choose the paper and layout. Now, when set, dates the sheet and
// the PDF's creation time.
type Options struct {
	Paper  string
	Layout string
	Now    time.Time
}

// Check validates the options, filling in the defaults (A4, cut lines).
func (o *Options) Check() error {
	o.Paper, o.Layout = strings.ToLower(o.Paper), strings.ToLower(o.Layout)
	if o.Paper == "" {
		o.Paper = PaperA4
	}
	if o.Layout == "" {
		o.Layout = LayoutCutLines
	}
	if o.Paper != PaperA4 && o.Paper != PaperLetter {
		return app.FieldError(app.EINVALID, "paper", "The paper must be %q or %q.", PaperA4, PaperLetter)
	}
	if o.Layout != LayoutCutLines && o.Layout != LayoutAvery {
		return app.FieldError(app.EINVALID, "layout", "The layout must be %q or %q.", LayoutCutLines, LayoutAvery)
	}
	return nil
}

// SignInURL is the address a slip's QR code opens: the organization's
// sign-in page with the username filled in (never the password). It is
// empty when the organization has no public address.
func SignInURL(publicURL, username string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/signin?username=" + url.QueryEscape(username)
}

// signInAddress is the sign-in page as printed for typing: without https://.
func signInAddress(publicURL string) string {
	s := strings.TrimRight(publicURL, "/") + "/signin"
	s = strings.TrimPrefix(s, "https://")
	return s
}

// NoPublicURLNote is printed on slips when the organization has no public
// address: there is nothing to link the QR code to. (English; the slips
// are in the organization's language: message pdf.slips.noAddress.)
var NoPublicURLNote = app.TextsFor("en").T("pdf.slips.noAddress")

// BadgeSlipNote is printed on a slip whose code is the person's sign-in
// badge (an account made with a badge): it signs in on the scan page only.
// (English; message pdf.slips.badge.)
var BadgeSlipNote = app.TextsFor("en").T("pdf.slips.badge")

// grid is where the slips go on a page, in mm.
type grid struct {
	pageW, pageH   float64
	cols, rows     int
	left, top      float64 // first slip's top-left corner
	w, h           float64 // one slip
	pitchX, pitchY float64 // distance between slips' corners
	pad            float64 // inner margin of a slip
	cut            bool    // draw dashed cut lines
}

func layout(o Options) grid {
	if o.Layout == LayoutAvery {
		if o.Paper == PaperLetter { // Avery 5163: 4 × 2 in, 2 × 5
			in := 25.4
			return grid{pageW: 8.5 * in, pageH: 11 * in, cols: 2, rows: 5, left: 0.15625 * in, top: 0.5 * in,
				w: 4 * in, h: 2 * in, pitchX: 4.1875 * in, pitchY: 2 * in, pad: 4}
		}
		// Avery L7163: 99.1 × 38.1 mm, 2 × 7
		return grid{pageW: 210, pageH: 297, cols: 2, rows: 7, left: 4.65, top: 15.15,
			w: 99.1, h: 38.1, pitchX: 101.6, pitchY: 38.1, pad: 3.5}
	}
	g := grid{pageW: 210, pageH: 297, cols: 2, rows: 5, left: 10, top: 10, pad: 5, cut: true}
	if o.Paper == PaperLetter {
		g.pageW, g.pageH = 215.9, 279.4
	}
	g.w, g.h = (g.pageW-2*g.left)/2, (g.pageH-2*g.top)/5
	g.pitchX, g.pitchY = g.w, g.h
	return g
}

// Slips writes the slips PDF: one slip per account, in the result's order.
func Slips(w io.Writer, res *app.AccountResult, o Options) error {
	if err := o.Check(); err != nil {
		return err
	}
	d, err := newDoc(o.Paper, o.Now)
	if err != nil {
		return err
	}
	d.PDF.SetTitle(app.TextsFor(res.Org.Language).T("pdf.slips.title", "Org", res.Org.Name), true)
	g := layout(o)
	per := g.cols * g.rows
	codes, err := matrices(res)
	if err != nil {
		return err
	}
	for i := range res.Accounts {
		k := i % per
		if k == 0 {
			d.PDF.AddPage()
			if g.cut {
				d.cutLines(g, min(per, len(res.Accounts)-i))
			}
		}
		x := g.left + float64(k%g.cols)*g.pitchX
		y := g.top + float64(k/g.cols)*g.pitchY
		d.slip(res.Org, &res.Accounts[i], codes[i], x, y, g)
	}
	if len(res.Accounts) == 0 {
		d.PDF.AddPage()
	}
	if err := d.PDF.Error(); err != nil {
		return err
	}
	return d.PDF.Output(w)
}

// cutLines draws dashed lines around the first n slips of the page, with a
// pair of scissors at the top left.
func (d *doc) cutLines(g grid, n int) {
	p := d.PDF
	rows := (n + g.cols - 1) / g.cols
	bottom := g.top + float64(rows)*g.h
	p.SetDrawColor(150, 150, 150)
	p.SetLineWidth(0.2)
	p.SetDashPattern([]float64{2, 1.5}, 0)
	for r := 0; r <= rows; r++ {
		y := g.top + float64(r)*g.h
		p.Line(g.left-4, y, g.pageW-g.left+4, y)
	}
	for c := 0; c <= g.cols; c++ {
		x := g.left + float64(c)*g.w
		p.Line(x, g.top-4, x, bottom+4)
	}
	p.SetDashPattern(nil, 0)
	// The scissors sit on the top line, in a gap of their own.
	p.SetFillColor(255, 255, 255)
	p.Rect(g.left+2, g.top-1.8, 5, 3.6, "F")
	d.Text(g.left+2.3, g.top+1.25, sans, 10, 120, "✂")
}

// Cell is where one slip goes on a page, in mm from the top-left corner.
type Cell struct{ X, Y, W, H float64 }

// Cells returns the places of the slips on a full page, in print order.
func Cells(o Options) []Cell {
	if err := o.Check(); err != nil {
		return nil
	}
	g := layout(o)
	var out []Cell
	for k := range g.cols * g.rows {
		out = append(out, Cell{g.left + float64(k%g.cols)*g.pitchX, g.top + float64(k/g.cols)*g.pitchY, g.w, g.h})
	}
	return out
}

// Smallest sizes, in points, of the login and the password on a slip: they
// wrap onto more lines rather than shrink below this. Only text too long to
// fit even so (given passwords can have 256 letters) goes smaller, down to
// lastResort, so that nothing ever leaves its slip.
const (
	minSize    = 9.0
	lastResort = 5.0
)

// slip draws one account's slip with its top-left corner at (x, y). The QR
// code sits top right, beside the group, organization and name; on roomy
// slips the login and password run below it across the whole slip, on the
// short Avery L7163 labels the code takes the full height on the right and
// they run below the name. Logins break before '@' or '.' and passwords
// wrap, so both stay whole and inside the slip.
func (d *doc) slip(org *app.Organization, acc *app.NewAccount, code [][]bool, x, y float64, g grid) {
	u := acc.User
	compact := g.h < 45
	innerW, innerH := g.w-2*g.pad, g.h-2*g.pad
	left, top := x+g.pad, y+g.pad

	side := 0.0
	if code != nil {
		side = 26.0
		if compact {
			side = min(innerH, 28)
		}
	}
	upperW := innerW
	if side > 0 {
		upperW = innerW - side - 3
	}
	nameSize, pwSize, loginSize, small := 17.0, 18.0, 12.0, 7.0
	if compact {
		nameSize, pwSize, loginSize, small = 13.5, 14.5, 10.5, 6.5
	}

	// Group(s) first, then the organization, small and grey: a long
	// organization name is what gets shortened.
	line := org.Name
	if len(acc.Groups) > 0 {
		line = strings.Join(acc.Groups, ", ") + "  ·  " + org.Name
	}
	baseline := top + ptToMM(small)*0.75
	d.Text(left, baseline, sans, small, 100, d.Ellipsize(sans, small, upperW, line))

	// The person's name, large; on two lines when it does not fit on one.
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	lines := []string{name}
	size := d.Fit(bold, nameSize, 12, upperW, name)
	if d.Width(bold, size, name) > upperW && !compact && u.FirstName != "" && u.LastName != "" {
		lines = []string{u.FirstName, u.LastName}
		size = min(d.Fit(bold, nameSize, minSize, upperW, u.FirstName), d.Fit(bold, nameSize, minSize, upperW, u.LastName))
	} else if len(lines) == 1 {
		size = d.Fit(bold, nameSize, minSize, upperW, name)
	}
	for i, l := range lines {
		if i == 0 {
			baseline += ptToMM(nameSize) * 1.05
		} else {
			baseline += ptToMM(size) * 1.1
		}
		d.Text(left, baseline, bold, size, 0, d.Ellipsize(bold, size, upperW, l))
	}
	nameBottom := baseline + ptToMM(size)*0.25

	// Username, or login email when the organization has a login domain;
	// then the password. Labels on the left, text beside them.
	tx := app.TextsFor(org.Language)
	loginLabel, login := tx.T("pdf.slips.username"), u.Username
	if u.Email != "" {
		loginLabel, login = tx.T("pdf.slips.login"), u.Email
	}
	labelW, flowW := 17.0, innerW
	if compact {
		labelW, flowW = 13.5, upperW
	}
	textW := flowW - labelW
	pwW := textW - 1.5 // room for the shaded box
	bottom := top + innerH - 0.5
	limit := bottom - ptToMM(small)*1.2
	start := func(side float64) float64 {
		if compact {
			return nameBottom + 0.8
		}
		return max(nameBottom+1, top+side+1)
	}
	lineH := func(pt float64) float64 { return ptToMM(pt) * 1.2 }
	// Each at the largest size that keeps it on one line (a login may break
	// once before its '@'), down to minSize; below that they wrap. A login
	// that does not fit beside its label goes below it, at the full width.
	ls, loginLines := d.FitLines(bold, loginSize, minSize, textW, login, "@.")
	stacked := false
	atSplit := func(l []string) bool { return len(l) == 2 && strings.HasPrefix(l[1], "@") }
	if len(loginLines) > 1 && !atSplit(loginLines) {
		if s2, l2 := d.FitLines(bold, loginSize, minSize, flowW, login, "@."); len(l2) < len(loginLines) || atSplit(l2) {
			stacked, ls, loginLines = true, s2, l2
		}
	}
	loginW := textW
	if stacked {
		loginW = flowW
	}
	ps, pwLines := d.FitLines(mono, pwSize, minSize, pwW, acc.Password, "")
	height := func() float64 {
		h := float64(len(loginLines))*lineH(ls) + 1.2 + float64(len(pwLines))*lineH(ps)*1.05
		if stacked {
			h += ptToMM(small)*0.9 + ptToMM(ls)*0.15
		}
		return h
	}
	// Too tall for the slip: the login shrinks down to minSize; on a roomy
	// slip the QR code gives way down to 22 mm (a long address still scans
	// at 150 dpi); the password shrinks down to minSize; then both go
	// smaller, down to lastResort.
	for height() > limit-start(side) {
		switch {
		case ls > minSize:
			ls -= 0.5
		case !compact && side > 22:
			side--
			continue
		case ps > minSize:
			ps -= 0.5
		case ls > lastResort || ps > lastResort:
			ls, ps = max(lastResort, ls-0.5), max(lastResort, ps-0.5)
		}
		loginLines = d.Wrap(bold, ls, loginW, login, "@.")
		pwLines = d.Wrap(mono, ps, pwW, acc.Password, "")
		if ls <= lastResort && ps <= lastResort && (compact || side <= 22) {
			break
		}
	}
	if code != nil {
		qy := top
		if compact {
			qy = top + (innerH-side)/2
		}
		qr.DrawMatrixPDF(d.PDF, code, left+innerW-side, qy, side)
	}

	baseline = start(side)
	if stacked {
		baseline += ptToMM(small) * 0.9
		d.Text(left, baseline, sans, small, 100, loginLabel)
		baseline += ptToMM(ls) * 1.1
	} else {
		baseline += ptToMM(ls) * 0.95
		d.Text(left, baseline, sans, small, 100, loginLabel)
	}
	loginX := left + labelW
	if stacked {
		loginX = left
	}
	for i, l := range loginLines {
		if i > 0 {
			baseline += lineH(ls)
		}
		d.Text(loginX, baseline, bold, ls, 0, l)
	}

	// The password, large, in a shaded box.
	baseline += ptToMM(ls)*0.25 + 1.2 + ptToMM(ps)*1.0
	d.Text(left, baseline, sans, small, 100, tx.T("pdf.slips.password"))
	for i, l := range pwLines {
		if i > 0 {
			baseline += lineH(ps) * 1.05
		}
		d.PDF.SetFillColor(236, 239, 244)
		d.PDF.RoundedRect(left+labelW-1.5, baseline-ptToMM(ps)*0.92, d.Width(mono, ps, l)+3, ptToMM(ps)*1.25, 1.2, "1234", "F")
		d.Text(left+labelW, baseline, mono, ps, 0, l)
	}

	// Bottom: where to sign in, or a note that there is no address yet.
	bw := innerW
	if compact {
		bw = upperW
	}
	if acc.Badge != "" {
		// The code is the badge: it is scanned on the sign-in page, it opens nothing by itself.
		lead := tx.T("pdf.slips.badge")
		if org.PublicURL != "" {
			lead = tx.T("pdf.slips.badgeAt")
		}
		lw := d.Text(left, bottom, sans, d.Fit(sans, small, 4.5, bw, lead), 100, lead)
		if org.PublicURL != "" {
			addr := signInAddress(org.PublicURL)
			d.Text(left+lw, bottom, bold, d.Fit(bold, small, 4.5, bw-lw, addr), 60, addr)
		}
	} else if org.PublicURL == "" {
		msg := tx.T("pdf.slips.noAddress")
		note := d.Fit(sans, small, 5, bw, msg)
		d.PDF.SetDrawColor(200, 0, 0)
		d.PDF.SetLineWidth(0.3)
		d.PDF.Line(left, bottom+1, left+d.Width(sans, note, msg), bottom+1)
		d.Text(left, bottom, sans, note, 0, msg)
	} else {
		lead := tx.T("pdf.slips.scanOrGo")
		if compact {
			lead = tx.T("pdf.slips.signInAt")
		}
		lw := d.Text(left, bottom, sans, small, 100, lead)
		addr := signInAddress(org.PublicURL)
		d.Text(left+lw, bottom, bold, d.Fit(bold, small, 4.5, bw-lw, addr), 60, addr)
	}
}

// matrices computes the QR code of every slip on all cores (encoding is
// the costliest part of a slip); nil where there is no public URL.
func matrices(res *app.AccountResult) ([][][]bool, error) {
	out := make([][][]bool, len(res.Accounts))
	badges := false
	for _, acc := range res.Accounts {
		badges = badges || acc.Badge != ""
	}
	if res.Org.PublicURL == "" && !badges {
		return out, nil
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(res.Accounts))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(out) {
					return
				}
				switch acc := res.Accounts[i]; {
				case acc.Badge != "": // the slip's code is the person's sign-in badge
					out[i], errs[i] = qr.Matrix(acc.Badge)
				case res.Org.PublicURL != "":
					out[i], errs[i] = qr.Matrix(SignInURL(res.Org.PublicURL, acc.User.Username))
				}
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// CSV writes the results CSV (UTF-8 with BOM, formula-safe): first name,
// last name, username, login email, password, group.
func CSV(w io.Writer, res *app.AccountResult) error {
	rows := [][]string{{"First name", "Last name", "Username", "Login email", "Password", "Group"}}
	for _, a := range res.Accounts {
		rows = append(rows, []string{a.User.FirstName, a.User.LastName, a.User.Username, a.User.Email, a.Password, strings.Join(a.Groups, ", ")})
	}
	return sheet.WriteCSV(w, rows)
}

// The result files of a batch of accounts: what holds its one-time passwords.
const (
	FileSlips = "slips"    // Slips, PDF
	FileSheet = "sheet"    // Sheet, PDF
	FileCSV   = "accounts" // CSV
)

// Write writes res as the result file of the kind: FileSlips, FileSheet
// (with o) or FileCSV.
func Write(w io.Writer, kind string, res *app.AccountResult, o Options) error {
	switch kind {
	case FileSlips:
		return Slips(w, res, o)
	case FileSheet:
		return Sheet(w, res, o)
	case FileCSV:
		return CSV(w, res)
	}
	return fmt.Errorf("slips: no result file %q", kind)
}

// Ext is the file extension of a result file of the kind: pdf or csv.
func Ext(kind string) string {
	if kind == FileCSV {
		return "csv"
	}
	return "pdf"
}

// FileName is a download name for a result file, with the class when all
// its accounts are in one and the same group: slips-maple-3b-2026-11-21.pdf
// (slips-maple-2026-11-21.pdf otherwise), so a teacher's downloads for
// several classes do not all look alike.
func FileName(kind string, res *app.AccountResult, now time.Time) string {
	name := res.Org.Slug
	if g := ClassPart(res); g != "" {
		name += "-" + g
	}
	return fmt.Sprintf("%s-%s-%s.%s", kind, name, now.Format("2006-01-02"), Ext(kind))
}

// ClassPart is the one group every account of res is in, and in no other,
// as a part of a file name (3B → 3b, Class 5A Heron → class-5a-heron); ""
// if there is none.
func ClassPart(res *app.AccountResult) string {
	if res == nil {
		return ""
	}
	accs := res.Accounts
	if len(accs) == 0 || len(accs[0].Groups) != 1 {
		return ""
	}
	g := accs[0].Groups[0]
	for _, a := range accs[1:] {
		if len(a.Groups) != 1 || a.Groups[0] != g {
			return ""
		}
	}
	var parts []string
	for _, w := range strings.Fields(g) {
		if t := app.Transliterate(w); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "-")
}

package slips

import (
	"fmt"
	"io"
	"time"

	"rollcall/app"
)

// NoGroup titles the table of accounts that are in no group (English;
// the sheet is in the organization's language: message pdf.sheet.noGroup).
var NoGroup = app.TextsFor("en").T("pdf.sheet.noGroup")

// Sheet writes the class sheet PDF for the teacher's records: one table per
// group (name, username or login email, password), each starting on a new
// page; an account in two groups is listed in both.
func Sheet(w io.Writer, res *app.AccountResult, o Options) error {
	if err := o.Check(); err != nil {
		return err
	}
	d, err := newDoc(o.Paper, o.Now)
	if err != nil {
		return err
	}
	tx := app.TextsFor(res.Org.Language)
	d.PDF.SetTitle(tx.T("pdf.sheet.title", "Org", res.Org.Name), true)
	noGroup := tx.T("pdf.sheet.noGroup")
	g := layout(Options{Paper: o.Paper})

	var order []string
	members := map[string][]*app.NewAccount{}
	for i := range res.Accounts {
		a := &res.Accounts[i]
		groups := a.Groups
		if len(groups) == 0 {
			groups = []string{noGroup}
		}
		for _, name := range groups {
			if _, ok := members[name]; !ok {
				order = append(order, name)
			}
			members[name] = append(members[name], a)
		}
	}
	emails := false
	for _, a := range res.Accounts {
		emails = emails || a.User.Email != ""
	}
	t := table{d: d, tx: tx, pageW: g.pageW, pageH: g.pageH, org: res.Org.Name, date: o.Now, emails: emails}
	for _, name := range order {
		t.group(name, members[name])
	}
	if len(order) == 0 {
		d.PDF.AddPage()
	}
	if err := d.PDF.Error(); err != nil {
		return err
	}
	return d.PDF.Output(w)
}

type table struct {
	d            *doc
	tx           *app.Texts
	pageW, pageH float64
	org          string
	date         time.Time
	emails       bool
	page         int
}

const (
	sheetMargin = 16.0
	rowH        = 8.5
)

// columns returns the x of each column and the table's right edge.
func (t *table) columns() (no, name, login, pw, right float64) {
	no = sheetMargin
	right = t.pageW - sheetMargin
	pw = right - 52
	name = no + 9
	login = name + (pw-name)*0.5
	if t.emails {
		login = name + (pw-name)*0.42
	}
	return
}

func (t *table) newPage(title string, count int, cont bool) float64 {
	d := t.d
	d.PDF.AddPage()
	t.page++
	y := sheetMargin + 6
	heading := title
	if cont {
		heading = t.tx.T("pdf.sheet.continued", "Title", title)
	}
	d.Text(sheetMargin, y, bold, 18, 0, d.Ellipsize(bold, 18, t.pageW-2*sheetMargin, heading))
	y += 6.5
	sub := t.org
	sub += "  ·  " + t.tx.N("pdf.sheet.accounts", count)
	if !t.date.IsZero() {
		sub += "  ·  " + t.tx.T("pdf.sheet.printed", "Date", t.tx.Date(t.date))
	}
	d.Text(sheetMargin, y, sans, 9.5, 90, sub)
	y += 4.8
	d.Text(sheetMargin, y, sans, 8.5, 140, t.tx.T("pdf.sheet.keepSafe"))

	// Footer.
	foot := t.tx.T("pdf.sheet.page", "Org", t.org, "Page", t.page)
	d.Text(t.pageW-sheetMargin-d.Width(sans, 8, foot), t.pageH-10, sans, 8, 140, foot)

	// Header row.
	y += 9
	no, name, login, pw, right := t.columns()
	loginTitle := t.tx.T("pdf.sheet.username")
	if t.emails {
		loginTitle = t.tx.T("pdf.sheet.usernameLogin")
	}
	for _, c := range []struct {
		x float64
		s string
	}{{no, "#"}, {name, t.tx.T("pdf.sheet.name")}, {login, loginTitle}, {pw, t.tx.T("pdf.sheet.password")}} {
		d.Text(c.x+1.5, y, bold, 8.5, 70, c.s)
	}
	y += 2.2
	d.PDF.SetDrawColor(60, 60, 60)
	d.PDF.SetLineWidth(0.35)
	d.PDF.Line(no, y, right, y)
	return y
}

// group writes one group's table. A table longer than a page is spread
// evenly over the pages it needs (28 rows: 14 and 14, not 27 and 1).
func (t *table) group(title string, accs []*app.NewAccount) {
	d := t.d
	y := t.newPage(title, len(accs), false)
	perPage := BalancedRows(len(accs), int((t.pageH-18-y)/rowH))
	no, name, login, pw, right := t.columns()
	for i, a := range accs {
		if i > 0 && i%perPage == 0 {
			y = t.newPage(title, len(accs), true)
		}
		if i%2 == 1 {
			d.PDF.SetFillColor(243, 244, 247)
			d.PDF.Rect(no, y, right-no, rowH, "F")
		}
		base := y + rowH/2 + 1.5
		num := fmt.Sprint(i + 1)
		d.Text(name-1.5-d.Width(sans, 9, num), base, sans, 9, 120, num)
		full := a.User.FirstName
		if a.User.LastName != "" {
			full = a.User.LastName + ", " + a.User.FirstName
		}
		cw := login - name - 3
		s := d.Fit(sans, 11, 8, cw, full)
		d.Text(name+1.5, base, sans, s, 0, d.Ellipsize(sans, s, cw, full))
		cw = pw - login - 3
		user := a.User.Username
		if a.User.Email != "" {
			user = a.User.Email
		}
		d.Text(login+1.5, base, bold, d.Fit(bold, 10.5, 5, cw, user), 0, user)
		cw = right - pw - 3
		d.Text(pw+1.5, base, mono, d.Fit(mono, 12, 5, cw, a.Password), 0, a.Password)
		y += rowH
		d.PDF.SetDrawColor(215, 218, 224)
		d.PDF.SetLineWidth(0.15)
		d.PDF.Line(no, y, right, y)
	}
}

// BalancedRows is how many of n rows to put on each page when a page holds
// at most fit: as few pages as fit allows, filled evenly (the last page at
// most one row short).
func BalancedRows(n, fit int) int {
	if fit < 1 {
		fit = 1
	}
	if n <= fit {
		return max(n, 1)
	}
	pages := (n + fit - 1) / fit
	return (n + pages - 1) / pages
}

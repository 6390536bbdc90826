package slips_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"rollcall/app"
	"rollcall/app/fonts"
	"rollcall/app/slips"
	"rollcall/app/slips/slipstest"
)

// Thirty pupils in several scripts, the last two Chinese and Japanese,
// which DejaVu cannot print and Droid Sans Fallback does.
var pupils = [][2]string{
	{"Łukasz", "Żółć"}, {"Zofia", "Wiśniewska"}, {"Grzegorz", "Brzęczyszczykiewicz"}, {"Małgorzata", "Kowalczyk"}, {"Jędrzej", "Ślusarczyk"},
	{"Αθηνά", "Παπαδοπούλου"}, {"Γιώργος", "Νικολάου"}, {"Δήμητρα", "Οικονόμου"}, {"Σπύρος", "Χατζής"},
	{"Ольга", "Иванова"}, {"Дмитрий", "Смирнов"}, {"Олександр", "Шевченко"}, {"Анастасия", "Кузнецова"}, {"Юрий", "Щербаков"},
	{"Çağla", "Şahin"}, {"Ayşe", "Yılmaz"}, {"İbrahim", "Öztürk"}, {"Gülşen", "Doğan"}, {"Barış", "Çelik"},
	{"Jürgen", "Müller"}, {"Björn", "Weiß"}, {"Änne", "Schröder"}, {"Grete", "Straßburger"}, {"Jörg", "Bäcker"},
	{"Søren", "Kierkegaard"}, {"Þóra", "Sigurðardóttir"}, {"Ada", "Lovelace"}, {"José", "Núñez"},
	{"小龍", "李"}, {"さくら", "山田"},
}

// unshaped are names in scripts gofpdf cannot print right (right to left,
// or needing shaping): DejaVu has Arabic and Hebrew letters, but they
// would print unjoined and left to right. They print as the placeholder.
var unshaped = [][2]string{{"محمد", "علي"}, {"נועה", "כהן"}, {"प्रिया", "शर्मा"}}

// Result builds an account result as CreateAccounts returns it, without a
// database: usernames from the names, generated passwords of both styles.
func Result(t testing.TB, org *app.Organization, people [][2]string, groups ...string) *app.AccountResult {
	t.Helper()
	res := &app.AccountResult{Org: org}
	seen := map[string]int{}
	for i, p := range people {
		base := app.UsernameBase("first.last", p[0], p[1])
		seen[base]++
		name := base
		if n := seen[base]; n > 1 {
			name += strconv.Itoa(n)
		}
		style := app.StyleWords
		if i%3 == 0 {
			style = app.StyleRandom
		}
		pw, err := app.GeneratePassword(rand.Reader, style, app.PasswordPolicy{MinLength: 10, RequireLetter: true, RequireDigit: true})
		if err != nil {
			t.Fatal(err)
		}
		u := &app.User{ID: fmt.Sprint(i), FirstName: p[0], LastName: p[1], Username: name}
		if org.LoginDomain != "" {
			u.Email = name + "@" + org.LoginDomain
		}
		res.Accounts = append(res.Accounts, app.NewAccount{User: u, Password: pw, Groups: groups})
	}
	return res
}

func render(t testing.TB, fn func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := fn(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every name, username and password of 30 pupils in six scripts is in the
// slips PDF as text (names in Arabic, Hebrew and Devanagari as the
// placeholder), and every QR code opens the sign-in page with that
// pupil's username.
func TestSlips(t *testing.T) {
	org := &app.Organization{Name: "Maple Primary", Slug: "maple", PublicURL: "https://rollcall.maple.example"}
	res := Result(t, org, append(slices.Clone(pupils), unshaped...), "3B")
	for _, o := range []slips.Options{
		{Paper: slips.PaperA4, Layout: slips.LayoutCutLines},
		{Paper: slips.PaperLetter, Layout: slips.LayoutCutLines},
		{Paper: slips.PaperA4, Layout: slips.LayoutAvery},
		{Paper: slips.PaperLetter, Layout: slips.LayoutAvery},
	} {
		t.Run(o.Paper+"-"+o.Layout, func(t *testing.T) {
			t.Parallel()
			pdf := render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, o) })
			text := strings.Join(strings.Fields(slipstest.PDFText(t, pdf)), " ")
			for i, a := range res.Accounts {
				name := a.User.FirstName + " " + a.User.LastName
				if i >= len(pupils) {
					name = slips.Placeholder // never the letters, unjoined and reversed
					if strings.Contains(text, a.User.FirstName) {
						t.Errorf("%q printed left to right / unshaped", a.User.FirstName)
					}
				}
				for _, want := range []string{name, a.User.Username, a.Password} {
					if !strings.Contains(text, want) {
						t.Errorf("%q not in the PDF text", want)
					}
				}
			}
			if n := strings.Count(text, slips.Placeholder); n != len(unshaped) {
				t.Errorf("%d placeholders printed, want %d (one per unprintable name)", n, len(unshaped))
			}
			var want []string
			for _, a := range res.Accounts {
				want = append(want, slips.SignInURL(org.PublicURL, a.User.Username))
			}
			got := slipstest.QRCodes(t, pdf, o)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("QR codes decode to\n%v\nwant\n%v", got, want)
			}
			for _, code := range got {
				for _, a := range res.Accounts {
					if strings.Contains(code, a.Password) {
						t.Fatalf("a QR code holds a password: %s", code)
					}
				}
			}
		})
	}
}

func TestSignInURL(t *testing.T) {
	if got, want := slips.SignInURL("https://r.example/", "ada.l"), "https://r.example/signin?username=ada.l"; got != want {
		t.Errorf("SignInURL = %q, want %q", got, want)
	}
	if got, want := slips.SignInURL("https://r.example", "ada l&x"), "https://r.example/signin?username=ada+l%26x"; got != want {
		t.Errorf("SignInURL = %q, want %q", got, want)
	}
	if got := slips.SignInURL("", "ada"); got != "" {
		t.Errorf("SignInURL without a public URL = %q", got)
	}
}

// Without a public address the slips still print, without QR codes and with
// a note saying what to set; a login email replaces the username.
func TestSlipsNoPublicURL(t *testing.T) {
	org := &app.Organization{Name: "Oak", Slug: "oak", LoginDomain: "pupils.oak.example"}
	res := Result(t, org, pupils[:3])
	pdf := render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, slips.Options{}) })
	text := strings.Join(strings.Fields(slipstest.PDFText(t, pdf)), " ")
	if !strings.Contains(text, slips.NoPublicURLNote) {
		t.Errorf("no note about the missing public URL in %q", text)
	}
	if !strings.Contains(text, "lukasz.zolc@pupils.oak.example") {
		t.Errorf("no login email in %q", text)
	}
	if codes := slipstest.QRCodes(t, pdf, slips.Options{}); len(codes) != 0 {
		t.Errorf("QR codes without a public URL: %v", codes)
	}
}

// Letters no embedded font has print as a marked placeholder, never as
// empty boxes.
func TestPlaceholder(t *testing.T) {
	org := &app.Organization{Name: "Oak", Slug: "oak"}
	res := Result(t, org, [][2]string{{"민준", "Kim"}})
	text := slipstest.PDFText(t, render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, slips.Options{}) }))
	if !strings.Contains(text, slips.Placeholder+" Kim") {
		t.Errorf("no placeholder in %q", text)
	}
}

func TestSheet(t *testing.T) {
	org := &app.Organization{Name: "Maple Primary", Slug: "maple", PublicURL: "https://rollcall.maple.example"}
	res := Result(t, org, pupils, "3B")
	res.Accounts[0].Groups = []string{"3B", "Choir"}
	res.Accounts[1].Groups = nil
	pdf := render(t, func(b *bytes.Buffer) error {
		return slips.Sheet(b, res, slips.Options{Paper: slips.PaperLetter, Now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)})
	})
	text := slipstest.PDFText(t, pdf)
	for _, a := range res.Accounts {
		for _, want := range []string{a.User.LastName + ", " + a.User.FirstName, a.User.Username, a.Password} {
			if !strings.Contains(text, want) {
				t.Errorf("%q not in the sheet", want)
			}
		}
	}
	for _, want := range []string{"3B", "Choir", slips.NoGroup, "printed 21 November 2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q not in the sheet", want)
		}
	}
	if n := strings.Count(text, res.Accounts[0].Password); n != 2 {
		t.Errorf("the pupil in two groups is listed %d times, want 2", n)
	}
}

func TestCSV(t *testing.T) {
	org := &app.Organization{Name: "Oak", Slug: "oak", LoginDomain: "pupils.oak.example"}
	res := Result(t, org, pupils[:4], "3B", "Choir")
	res.Accounts[1].Password = "=cmd|' /C calc'!A0"
	b := render(t, func(b *bytes.Buffer) error { return slips.CSV(b, res) })
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatal("no BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0], "|"), "First name|Last name|Username|Login email|Password|Group"; got != want {
		t.Fatalf("header = %s", got)
	}
	if got, want := strings.Join(rows[1], "|"), "Łukasz|Żółć|lukasz.zolc|lukasz.zolc@pupils.oak.example|"+res.Accounts[0].Password+"|3B, Choir"; got != want {
		t.Fatalf("row = %s, want %s", got, want)
	}
	if rows[2][4] != "'"+res.Accounts[1].Password {
		t.Fatalf("formula not escaped: %q", rows[2][4])
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []slips.Options{{Paper: "a5"}, {Layout: "grid"}} {
		if err := o.Check(); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("Check(%+v) = %v", o, err)
		}
	}
	o := slips.Options{Paper: "Letter"}
	if err := o.Check(); err != nil || o.Paper != slips.PaperLetter || o.Layout != slips.LayoutCutLines {
		t.Errorf("Check = %+v, %v", o, err)
	}
}

// TestRenderPNG writes sample pages to $SLIPS_PNG_DIR for a person to look at.
func TestRenderPNG(t *testing.T) {
	dir := os.Getenv("SLIPS_PNG_DIR")
	if dir == "" {
		t.Skip("set SLIPS_PNG_DIR to write sample pages")
	}
	org := &app.Organization{Name: "Maple Primary School", Slug: "maple", PublicURL: "https://rollcall.maple.example"}
	res := Result(t, org, pupils, "3B")
	for _, o := range []slips.Options{{Paper: "a4"}, {Paper: "letter"}, {Paper: "a4", Layout: "avery"}, {Paper: "letter", Layout: "avery"}} {
		pdf := render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, o) })
		p := filepath.Join(dir, "slips-"+o.Paper+"-"+o.Layout+".pdf")
		os.WriteFile(p, pdf, 0o644)
		exec.Command("pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", p, strings.TrimSuffix(p, ".pdf")).Run()
	}
	noURL := Result(t, &app.Organization{Name: "Oak", Slug: "oak", LoginDomain: "pupils.oak.example"}, pupils[:4])
	pdf := render(t, func(b *bytes.Buffer) error { return slips.Slips(b, noURL, slips.Options{}) })
	p := filepath.Join(dir, "slips-nourl.pdf")
	os.WriteFile(p, pdf, 0o644)
	exec.Command("pdftoppm", "-png", "-r", "110", p, strings.TrimSuffix(p, ".pdf")).Run()
	pdf = render(t, func(b *bytes.Buffer) error { return slips.Sheet(b, res, slips.Options{Now: time.Now()}) })
	p = filepath.Join(dir, "sheet.pdf")
	os.WriteFile(p, pdf, 0o644)
	exec.Command("pdftoppm", "-png", "-r", "110", p, strings.TrimSuffix(p, ".pdf")).Run()
}

// gofpdf writes into the font bytes it is given (metrics of a monospace
// font are appended in place): printing must leave the embedded fonts as
// they were, or every later PDF would get wrong glyph widths.
func TestFontsUnchanged(t *testing.T) {
	sum := func() [4][32]byte {
		return [4][32]byte{sha256.Sum256(fonts.Sans), sha256.Sum256(fonts.SansBold), sha256.Sum256(fonts.MonoBold), sha256.Sum256(fonts.Fallback)}
	}
	before := sum()
	org := &app.Organization{Name: "Maple", Slug: "maple", PublicURL: "https://r.example"}
	res := Result(t, org, pupils, "3B")
	render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, slips.Options{}) })
	render(t, func(b *bytes.Buffer) error { return slips.Sheet(b, res, slips.Options{}) })
	if sum() != before {
		t.Fatal("printing changed the embedded font bytes")
	}
}

// Long logins, long given passwords and long organization names stay whole
// and inside their slip: the login breaks at '@' or '.', the password
// wraps, the group is printed first; the QR codes still decode. With
// $SLIPS_PNG_DIR set, the pages are written there to look at.
func TestSlipsLongText(t *testing.T) {
	org := &app.Organization{Name: "Szkoła Podstawowa nr 12 im. Marii Skłodowskiej-Curie w Brzęczyszczykiewiczach Dolnych", Slug: "sp12",
		PublicURL: "https://rollcall.szkola-podstawowa-12.edu.pl", LoginDomain: "pupils.szkola-podstawowa-12.edu.pl"}
	res := Result(t, org, [][2]string{{"Grzegorz", "Brzęczyszczykiewicz"}, {"Ada", "Lovelace"}, {"Zofia", "Wiśniewska"}, {"Jan", "Kowalski"}}, "3B")
	res.Accounts[0].User.Username = "grzegorz.brzeczyszczykiewicz"
	res.Accounts[0].User.Email = "grzegorz.brzeczyszczykiewicz@pupils.szkola-podstawowa-12.edu.pl"
	res.Accounts[1].Password = "correct-horse-battery-staple-and-a-long-given-passphrase-2026"
	res.Accounts[2].Password = strings.Repeat("Xy3-", 64) // the longest a password may be
	res.Accounts[3].Groups = []string{"Klasa 3B integracyjna"}
	for _, o := range []slips.Options{
		{Paper: slips.PaperA4, Layout: slips.LayoutCutLines},
		{Paper: slips.PaperLetter, Layout: slips.LayoutCutLines},
		{Paper: slips.PaperA4, Layout: slips.LayoutAvery},
		{Paper: slips.PaperLetter, Layout: slips.LayoutAvery},
	} {
		t.Run(o.Paper+"-"+o.Layout, func(t *testing.T) {
			pdf := render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, o) })
			if dir := os.Getenv("SLIPS_PNG_DIR"); dir != "" {
				p := filepath.Join(dir, "long-"+o.Paper+"-"+o.Layout+".pdf")
				os.WriteFile(p, pdf, 0o644)
				exec.Command("pdftoppm", "-png", "-r", "110", p, strings.TrimSuffix(p, ".pdf")).Run()
			}
			raw := slipstest.PDFText(t, pdf)
			flat := strings.Join(strings.Fields(raw), "")
			for _, a := range res.Accounts {
				for _, want := range []string{a.User.Email, a.Password} {
					if !strings.Contains(flat, want) {
						t.Errorf("%q not whole in the PDF text", want)
					}
				}
				if !strings.Contains(raw, a.Groups[0]) {
					t.Errorf("group %q not printed", a.Groups[0])
				}
			}
			if o.Layout == slips.LayoutCutLines && !strings.Contains(raw, "grzegorz.brzeczyszczykiewicz\n@pupils.szkola-podstawowa-12.edu.pl") {
				t.Errorf("the long login is not broken at '@':\n%s", raw)
			}
			got := slipstest.QRCodes(t, pdf, o)
			if len(got) != len(res.Accounts) {
				t.Errorf("%d QR codes decode, want %d: %v", len(got), len(res.Accounts), got)
			}
			slipstest.InsideCells(t, pdf, o)
		})
	}
}

// Accounts made with a badge (AccountBatch.Badges): each slip's code is
// the person's badge, not the sign-in address — it decodes to that code
// and nothing else — with the note saying how it is used, on every paper
// and layout, with and without a public address; the text stays inside.
func TestSlipsWithBadges(t *testing.T) {
	for _, public := range []string{"https://rollcall.maple.example", ""} {
		org := &app.Organization{Name: "Maple Primary", Slug: "maple", PublicURL: public}
		res := Result(t, org, pupils[:12], "2A")
		var want []string
		for i := range res.Accounts {
			res.Accounts[i].Badge = fmt.Sprintf("RCB1:%032X", i+1)
			want = append(want, res.Accounts[i].Badge)
		}
		slices.Sort(want)
		for _, o := range []slips.Options{
			{Paper: slips.PaperA4, Layout: slips.LayoutCutLines},
			{Paper: slips.PaperLetter, Layout: slips.LayoutCutLines},
			{Paper: slips.PaperA4, Layout: slips.LayoutAvery},
			{Paper: slips.PaperLetter, Layout: slips.LayoutAvery},
		} {
			t.Run(fmt.Sprintf("%s-%s-public=%v", o.Paper, o.Layout, public != ""), func(t *testing.T) {
				t.Parallel()
				pdf := render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, o) })
				text := strings.Join(strings.Fields(slipstest.PDFText(t, pdf)), " ")
				if n := strings.Count(text, slips.BadgeSlipNote); n != len(res.Accounts) {
					t.Errorf("%d badge notes, want %d", n, len(res.Accounts))
				}
				if strings.Contains(text, slips.NoPublicURLNote) {
					t.Errorf("the missing-address note on a badge slip")
				}
				for _, a := range res.Accounts {
					if !strings.Contains(text, a.Password) || !strings.Contains(text, a.User.Username) {
						t.Errorf("%s: login or password missing", a.User.Username)
					}
				}
				got := slipstest.QRCodes(t, pdf, o)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("QR codes decode to\n%v\nwant\n%v", got, want)
				}
				slipstest.InsideCells(t, pdf, o)
			})
		}
	}
}

// A class longer than a page is spread evenly: 28 rows on two pages of at
// most 27 are 14 and 14, never 27 and 1.
func TestSheetBalancesPages(t *testing.T) {
	for _, c := range [][3]int{{28, 27, 14}, {27, 27, 27}, {55, 27, 19}, {1, 27, 1}, {0, 27, 1}, {30, 0, 1}} {
		if got := slips.BalancedRows(c[0], c[1]); got != c[2] {
			t.Errorf("BalancedRows(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
	org := &app.Organization{Name: "Maple Primary", Slug: "maple"}
	people := make([][2]string, 0, 31)
	for i := range 31 {
		people = append(people, [2]string{"Pupil", fmt.Sprintf("Number%02d", i+1)})
	}
	res := Result(t, org, people, "3B")
	pdf := render(t, func(b *bytes.Buffer) error { return slips.Sheet(b, res, slips.Options{Paper: slips.PaperA4}) })
	pages := strings.Split(slipstest.PDFText(t, pdf), "\f")
	var rows []int
	for _, p := range pages {
		if n := strings.Count(p, "Number"); n > 0 {
			rows = append(rows, n)
		}
	}
	if len(rows) != 2 || rows[0]-rows[1] > 1 || rows[1]-rows[0] > 1 {
		t.Errorf("rows per page %v, want two pages differing by one at most", rows)
	}
}

// A download of one class's accounts names the class.
func TestFileNameNamesTheClass(t *testing.T) {
	org := &app.Organization{Name: "Maple Primary", Slug: "maple"}
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	if got := slips.FileName(slips.FileSlips, Result(t, org, pupils[:3], "Class 5A Heron"), now); got != "slips-maple-class-5a-heron-2026-12-03.pdf" {
		t.Errorf("one class: %s", got)
	}
	mixed := Result(t, org, pupils[:3], "3B")
	mixed.Accounts[1].Groups = []string{"3C"}
	if got := slips.FileName(slips.FileSheet, mixed, now); got != "sheet-maple-2026-12-03.pdf" {
		t.Errorf("two classes: %s", got)
	}
}

// Slips and the class sheet print their fixed words in the organization's
// language, and the longer words of Finnish, Swedish and German still fit
// inside each slip.
func TestPDFsInTheOrganizationsLanguage(t *testing.T) {
	for _, c := range []struct{ lang, password, printed string }{
		{"en", "Password", "printed 21 November 2026"},
		{"fi", "Salasana", "tulostettu 21.11.2026"},
		{"sv", "Lösenord", "utskriven 2026-11-21"},
		{"de", "Passwort", "gedruckt am 21.11.2026"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			t.Parallel()
			org := &app.Organization{Name: "Maple Primary", Slug: "maple", PublicURL: "https://rollcall.maple.example", Language: c.lang}
			res := Result(t, org, pupils[:6], "3B")
			for _, layout := range []string{slips.LayoutCutLines, slips.LayoutAvery} {
				o := slips.Options{Paper: slips.PaperA4, Layout: layout}
				pdf := render(t, func(b *bytes.Buffer) error { return slips.Slips(b, res, o) })
				if text := slipstest.PDFText(t, pdf); strings.Count(text, c.password) != len(res.Accounts) {
					t.Errorf("%s: %q printed %d times, want %d", layout, c.password, strings.Count(text, c.password), len(res.Accounts))
				}
				slipstest.InsideCells(t, pdf, o)
			}
			sheet := render(t, func(b *bytes.Buffer) error {
				return slips.Sheet(b, res, slips.Options{Paper: slips.PaperA4, Now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)})
			})
			if text := strings.Join(strings.Fields(slipstest.PDFText(t, sheet)), " "); !strings.Contains(text, c.printed) || !strings.Contains(text, c.password) {
				t.Errorf("the sheet lacks %q or %q:\n%s", c.printed, c.password, text)
			}
		})
	}
}

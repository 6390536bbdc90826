package app_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"rollcall/app"
)

// gettextCalls are the functions and methods of package app whose format
// argument (at the index) is a message ID of the error catalogues: a name
// is a function (called as name or app.name), .name a method.
var gettextCalls = map[string]int{
	"Errorf":     1, // Errorf(code, format, args...)
	"FieldError": 2, // FieldError(code, field, format, args...)
	".add":       1, // validation.add(field, format, args...)
	".problem":   1, // accountPlan.problem(field, format, args...)
	"add":        3, // the import's add(problems, row, field, format, args...)
	"Tr":         1, // Tr(lang, format, args...)
	"textOf":     0, // textOf(format): a table's entry
	"checkName":  2, // checkName(v, field, label, s): the label goes into a message
	"invalid":    0, // roster's invalid(format, args...)
}

// gettextCall reports whether n calls one of gettextCalls (by its name:
// "Errorf", app.Errorf as "Errorf", a method as ".add"), and the index of
// its format argument.
func gettextCall(n ast.Node) (call *ast.CallExpr, name string, format int, ok bool) {
	call, ok = n.(*ast.CallExpr)
	if !ok {
		return nil, "", 0, false
	}
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		name = fn.Name
	case *ast.SelectorExpr:
		name = "." + fn.Sel.Name
		if x, ok := fn.X.(*ast.Ident); ok && x.Name == "app" {
			name = fn.Sel.Name
		}
	}
	format, ok = gettextCalls[name]
	if !ok || len(call.Args) <= format {
		return nil, "", 0, false
	}
	return call, name, format, true
}

// errorFormats parses package app's source and returns every format string
// given to a gettextCalls call (a string literal, a constant, or a sum of
// them), with where it is; and the calls whose format is not constant.
func errorFormats(t *testing.T) (formats map[string]string, notConstant []string) {
	fset := token.NewFileSet()
	paths, _ := filepath.Glob("*.go")
	// app.Errorf in the packages whose errors reach people too (not the
	// command line's: it speaks English).
	for _, dir := range []string{"httpapi", "roster", "oidc", "slips"} {
		more, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		paths = append(paths, more...)
	}
	var files []*ast.File
	inApp := map[*ast.File]bool{} // package app itself, not a package under it
	consts := map[string]ast.Expr{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		inApp[f] = filepath.Dir(p) == "."
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							consts[n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
	}
	var eval func(e ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, err := strconv.Unquote(e.Value)
				return s, err == nil
			}
		case *ast.Ident:
			if c, ok := consts[e.Name]; ok {
				return eval(c)
			}
		case *ast.ParenExpr:
			return eval(e.X)
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				a, ok1 := eval(e.X)
				b, ok2 := eval(e.Y)
				return a + b, ok1 && ok2
			}
		}
		return "", false
	}
	formats = map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, name, i, ok := gettextCall(n)
			if !ok {
				return true
			}
			if _, isSel := call.Fun.(*ast.SelectorExpr); !inApp[f] && !(isSel && !strings.HasPrefix(name, ".") || name == "invalid") {
				return true // another package's own add, Errorf…: only app.X and roster's invalid there
			}
			if id, ok := call.Args[i].(*ast.Ident); ok && id.Name == "format" {
				return true // a wrapper handing its format on (roster's invalid)
			}
			pos := fset.Position(call.Pos()).String()
			if s, ok := eval(call.Args[i]); ok {
				formats[s] = pos
			} else {
				notConstant = append(notConstant, pos)
			}
			return true
		})
	}
	return formats, notConstant
}

// printfVerb matches a verb of fmt: %%, or % with an optional argument
// index, flags, width, precision and the verb letter.
var printfVerb = regexp.MustCompile(`%(?:%|(\[\d+\])?[-+# 0]*(?:\d+|\*)?(?:\.\d+)?([a-zA-Z]))`)

// argVerbs is which verb each argument of format is printed with, in the
// order of the arguments (explicit indexes %[n]v count).
func argVerbs(format string) []string {
	var out []string
	next := 0
	for _, m := range printfVerb.FindAllStringSubmatch(format, -1) {
		if m[0] == "%%" {
			continue
		}
		i := next
		if m[1] != "" {
			n, _ := strconv.Atoi(m[1][1 : len(m[1])-1])
			i = n - 1
		}
		for len(out) <= i {
			out = append(out, "")
		}
		if out[i] != "" && out[i] != m[2] {
			out[i] += "|" + m[2]
		} else {
			out[i] = m[2]
		}
		next = i + 1
	}
	return out
}

var hasLetter = regexp.MustCompile(`\pL`)

// TestEveryErrorHasATranslation fails when an error message (a format given
// to Errorf, FieldError, a validation's add, an import row's problem or
// Tr) has no translation in a language, when a translation prints other
// verbs than the English, and when a catalogue holds a message no code uses.
func TestEveryErrorHasATranslation(t *testing.T) {
	formats, notConstant := errorFormats(t)
	if len(formats) < 300 {
		t.Fatalf("found only %d error messages in the code: is errorFormats still right?", len(formats))
	}
	for _, p := range notConstant {
		t.Errorf("%s: the format is not a constant, so it cannot be translated", p)
	}
	for _, lang := range app.Languages[1:] {
		b, err := os.ReadFile(filepath.Join("locales", "errors."+lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		cat := map[string]string{}
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatalf("errors.%s.json: %v", lang, err)
		}
		var missing []string
		for f, pos := range formats {
			if !hasLetter.MatchString(printfVerb.ReplaceAllString(f, "")) {
				continue // "%s", "%s: %s": nothing to translate
			}
			tr, ok := cat[f]
			if !ok || tr == "" {
				missing = append(missing, pos+": "+strconv.Quote(f))
				continue
			}
			if want, got := argVerbs(f), argVerbs(tr); !slices.Equal(want, got) {
				t.Errorf("errors.%s.json: %q prints %v, but its translation %q prints %v", lang, f, want, tr, got)
			}
		}
		sort.Strings(missing)
		for _, m := range missing {
			t.Errorf("errors.%s.json misses %s", lang, m)
		}
		for f := range cat {
			if _, ok := formats[f]; !ok {
				t.Errorf("errors.%s.json holds %q, which no code uses", lang, f)
			}
		}
	}
}

func TestArgVerbs(t *testing.T) {
	for f, want := range map[string]string{
		"%d of %d rows: %q":    "d d q",
		"%[2]d / %[1]s, %[3]s": "s d s",
		"100%% of %s%v":        "s v",
		"%-5.2f and %x":        "f x",
		"no verbs":             "",
		"%[1]s then %[1]s %d":  "s d",
		"%[2]d / %[1]s, %s":    "s d|s", // after %[1]s comes the second again
	} {
		if got := strings.Join(argVerbs(f), " "); got != want {
			t.Errorf("argVerbs(%q) = %q, want %q", f, got, want)
		}
	}
}

func TestErrorsComeOutInTheLanguage(t *testing.T) {
	err := app.FieldError(app.EINVALID, "group", "There is no group %q in %s.", "3B", "Maple")
	if got := app.ErrorMessage(err); got != `There is no group "3B" in Maple.` {
		t.Errorf("English: %q", got)
	}
	for _, lang := range []string{"fi", "sv-FI,sv;q=0.9", "de-DE,de;q=0.9,en;q=0.8"} {
		got := app.LocalizedMessage(err, lang)
		if got == app.ErrorMessage(err) || !strings.Contains(got, "3B") {
			t.Errorf("%s: %q", lang, got)
		}
	}
	if got := app.LocalizedMessage(err, "fr"); got != app.ErrorMessage(err) {
		t.Errorf("French falls back to English: %q", got)
	}
	if got := app.LocalizedDetails(err, "sv")["group"]; got != `Det finns ingen grupp "3B" i Maple.` {
		t.Errorf("Swedish details: %q", got)
	}
	if got := app.ErrorDetails(err)["group"]; got != app.ErrorMessage(err) {
		t.Errorf("the English details: %q", got)
	}
	internal := os.ErrNotExist
	if en, fi := app.LocalizedMessage(internal, "en"), app.LocalizedMessage(internal, "fi"); en != app.ErrorMessage(internal) || fi == en {
		t.Errorf("internal error: en %q, fi %q", en, fi)
	}
}

// TestDumpErrorFormats, run as DUMP_FORMATS=file.json go test ./app -run
// TestDumpErrorFormats, writes every message ID of the error catalogues
// with where the code uses it: a translator's list.
func TestDumpErrorFormats(t *testing.T) {
	if os.Getenv("DUMP_FORMATS") == "" {
		t.Skip()
	}
	formats, _ := errorFormats(t)
	type e struct{ Pos, F string }
	var all []e
	for f, p := range formats {
		all = append(all, e{p, f})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Pos < all[j].Pos })
	b, _ := json.MarshalIndent(all, "", " ")
	os.WriteFile(os.Getenv("DUMP_FORMATS"), b, 0o644)
}

// TestImportMessagesInTheLanguage: an import's row messages, kept in
// English, come out in the language asked for; one several messages long
// is translated message by message, and words no format made stay.
func TestImportMessagesInTheLanguage(t *testing.T) {
	p := &app.ImportPreview{Rows: []app.ImportRowPreview{{
		Line:     2,
		Problems: map[string]string{"username": `The username "emil" is also on row 3.`},
		Warnings: map[string]string{"groups": "The group 3B will be created."},
		Skip:     `The file marks this person as suspended (status "Suspended"): not created. Change the status to active to create the account.`,
	}}}
	fi := p.Localized("fi-FI,fi;q=0.9")
	r := fi.Rows[0]
	if got, want := r.Problems["username"], `Käyttäjätunnus "emil" on myös rivillä 3.`; got != want {
		t.Errorf("problem %q, want %q", got, want)
	}
	if got, want := r.Warnings["groups"], "Ryhmä 3B luodaan."; got != want {
		t.Errorf("warning %q, want %q", got, want)
	}
	if !strings.HasPrefix(r.Skip, "Tiedosto merkitsee") || !strings.Contains(r.Skip, `"Suspended"`) {
		t.Errorf("skip %q", r.Skip)
	}
	if p.Rows[0].Warnings["groups"] != "The group 3B will be created." {
		t.Error("Localized changed the preview it was given")
	}
	if p.Localized("en") != p {
		t.Error("English is the preview itself")
	}
	res := &app.ImportResult{Rows: []app.ImportResultRow{
		{Reason: "No last name: the account has the first name only. The groups 3B, 4A were created by this import.", PasswordNote: app.PasswordGeneratedNote},
		{Reason: "Something no format made. The group 3B will be created."},
	}}
	de := res.Localized("de")
	if got, want := de.Rows[0].Reason, "Kein Nachname: Das Konto hat nur den Vornamen. Die Gruppen 3B, 4A wurden durch diesen Import angelegt."; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	if got, want := de.Rows[1].Reason, "Something no format made. Die Gruppe 3B wird angelegt."; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	if got := de.Rows[0].PasswordNote; got != "erzeugt" {
		t.Errorf("password note %q", got)
	}
	if got, want := app.LocalizeText(app.Tr("en", "Your admin account %s is linked to the %s account %s. From now on \"Sign in with %s\" on the admin sign-in signs you in.", "head.admin", "Google", "it@maple.example", "Google"), "sv"),
		"Ditt administratörskonto head.admin är kopplat till Google-kontot it@maple.example. Från och med nu loggar ”Logga in med Google” på administratörsinloggningen in dig."; got != want {
		t.Errorf("LocalizeText = %q, want %q", got, want)
	}
	// An error made as a string (not by Errorf) is matched the same way.
	err := &app.Error{Code: app.EINVALID, Message: "Choose a group.", Details: map[string]string{"line 2": `The username "emil" is also on line 3.`}}
	if got := app.LocalizedMessage(err, "sv"); got != "Välj en grupp." {
		t.Errorf("message %q", got)
	}
	if got := app.LocalizedDetails(err, "sv")["line 2"]; got != `Användarnamnet "emil" finns också på rad 3.` {
		t.Errorf("detail %q", got)
	}
}

// TestNoEnglishMessageIsAnArgument fails when ErrorMessage(err), a message
// in English already, is given as an argument to a message of the error
// catalogues (Errorf, FieldError, a validation's add…): it would stay
// English in every language. Give the error itself (ErrorArg(err)), which
// the message puts into its language.
func TestNoEnglishMessageIsAnArgument(t *testing.T) {
	fset := token.NewFileSet()
	paths, _ := filepath.Glob("*.go")
	for _, dir := range []string{"httpapi", "roster", "oidc", "slips"} {
		more, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		paths = append(paths, more...)
	}
	calls := 0
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, name, i, ok := gettextCall(n)
			if !ok {
				return true
			}
			calls++
			for _, a := range call.Args[i+1:] {
				ast.Inspect(a, func(n ast.Node) bool {
					c, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					var callee string
					switch fn := c.Fun.(type) {
					case *ast.Ident:
						callee = fn.Name
					case *ast.SelectorExpr:
						callee = fn.Sel.Name
					}
					if callee == "ErrorMessage" {
						t.Errorf("%s: ErrorMessage(...) given to %s stays English; give the error (ErrorArg(err))", fset.Position(c.Pos()), strings.TrimPrefix(name, "."))
					}
					return true
				})
			}
			return true
		})
	}
	if calls < 300 {
		t.Fatalf("found only %d message calls: is the test still right?", calls)
	}
}

// TestWrappedMessagesComeOutInTheLanguage: a message made of another
// error's message (an admin password that is easy to guess) is translated
// whole.
func TestWrappedMessagesComeOutInTheLanguage(t *testing.T) {
	err := app.CheckAdminPassword("Qwertyuiop2024!", "head.admin")
	en := app.ErrorMessage(err)
	if !strings.Contains(en, "common passwords") {
		t.Fatalf("English: %q", en)
	}
	if got := app.LocalizedMessage(err, "fi"); got == en || !strings.Contains(got, "salasan") {
		t.Errorf("Finnish: %q", got)
	}
	if got := app.LocalizedDetails(err, "de")["password"]; got == en || !strings.Contains(got, "Passw") {
		t.Errorf("German details: %q", got)
	}
}

// TestInviteResultInTheLanguage: why a pasted address was left out is said
// in the asker's language.
func TestInviteResultInTheLanguage(t *testing.T) {
	_, bad := app.ParseAddresses("nope, ada@maple.example")
	if len(bad) != 1 || bad[0].Reason != "not an email address" {
		t.Fatalf("%+v", bad)
	}
	res := &app.InviteResult{Invalid: bad}
	if got := res.Localized("fi").Invalid[0]; got.Reason != "ei ole sähköpostiosoite" || got.Text != "nope" {
		t.Errorf("in Finnish: %+v", got)
	}
	if res.Invalid[0].Reason != "not an email address" {
		t.Error("Localized changed the result")
	}
}

// TestOutboxReasonsInTheLanguage: why a message waits or failed is kept in
// English in the outbox and put into the reader's language when read.
func TestOutboxReasonsInTheLanguage(t *testing.T) {
	for s, want := range map[string]string{
		"The daily limit of 3 SMS is reached; it is sent after midnight (raise the limit in Settings → SMS to send it sooner).": "Das Tageslimit von 3 SMS ist erreicht; sie wird nach Mitternacht gesendet (erhöhen Sie das Limit unter Einstellungen → SMS, um sie früher zu senden).",
		"The organization has no public address, so the link cannot be built. Set it in Settings, then retry.":                  "Die Organisation hat keine öffentliche Adresse, daher kann der Link nicht gebildet werden. Legen Sie sie in den Einstellungen fest und versuchen Sie es dann erneut.",
		"Gave up after 9 attempts over 72h0m0s. Last error: 550 No such user":                                                   "Nach 9 Versuchen über 72h0m0s aufgegeben. Letzter Fehler: 550 No such user",
	} {
		if got := app.LocalizeText(s, "de"); got != want {
			t.Errorf("LocalizeText(%q) = %q, want %q", s, got, want)
		}
	}
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"rollcall/app"
	"rollcall/app/roster"
	"rollcall/store"
)

// runExport: rollcall export --org SLUG [--group G] --format F OUT writes
// the people of an organization or a group in a format another system
// imports. While `serve` holds the file, serve writes it (through its
// local token), so the export is recorded in the same audit log either way.
func (m *Main) runExport(ctx context.Context, args []string) error {
	fs := m.flags("export", "export --org SLUG [--group G] --format "+strings.Join(app.ExportFormats, "|")+
		" [--delimiter ,|;|tab] [--encoding utf-8|windows-1252] [--db PATH] OUT\n\n"+
		"Formats: csv and xlsx are Rollcall's import template (what `rollcall import` reads back); oneroster is a\n"+
		"OneRoster 1.1 CSV bundle (.zip); google, entra and moodle are the user upload files of Google Workspace,\n"+
		"Microsoft Entra ID and Moodle. No passwords are exported: they are never stored.")
	org := fs.String("org", "", "the organization's slug (required)")
	group := fs.String("group", "", "export only this group's members (its name or ID)")
	format := fs.String("format", "", "the file's format: "+strings.Join(app.ExportFormats, ", ")+" (required)")
	delimiter := fs.String("delimiter", "", `csv only: , ; or tab (default: ";" for organizations in de, fi, sv, fr, ..., else ",")`)
	encoding := fs.String("encoding", "", "csv only: utf-8 (default, with a BOM) or windows-1252")
	dbp := dbFlag(fs)
	pos, err := parseInterspersed(fs, args, 1)
	if err != nil {
		return err
	}
	if err := required(fs, "org", "format"); err != nil {
		return err
	}
	req := app.ExportRequest{ExportOptions: app.ExportOptions{Format: *format, Delimiter: *delimiter, Encoding: *encoding}, Group: *group}
	out := pos[0]
	path, err := m.dbPath(*dbp)
	if err != nil {
		return err
	}
	db, err := m.open(path)
	if errors.Is(err, store.ErrAlreadyOpen) { // serve holds the file: it writes the export
		body, _ := json.Marshal(req)
		resp, err := callServer(ctx, path, http.MethodPost, "/api/organizations/"+url.PathEscape(*org)+"/users/export", strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		n, err := writeFileAtomic(out, func(w io.Writer) (int64, error) {
			n, err := io.Copy(w, resp.Body)
			if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
				err = fmt.Errorf("the running `rollcall serve` sent %d of %d bytes", n, resp.ContentLength)
			}
			return n, err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "Exported to %s (%d bytes, written by the running serve).\n", out, n)
		return nil
	} else if err != nil {
		return err
	}
	defer db.Close()
	x, err := m.newApp(db).ExportUsers(ctx, *org, req)
	if err != nil {
		return err
	}
	if _, err := writeFileAtomic(out, func(w io.Writer) (int64, error) { return 0, roster.WriteExport(w, x) }); err != nil {
		return err
	}
	what := "everyone in " + x.Org.Name
	if x.Group != nil {
		what = x.Group.Name
	}
	fmt.Fprintf(m.Stdout, "Exported %s (%d people) to %s as %s.\n", what, len(x.People), out, x.Options.Format)
	return nil
}

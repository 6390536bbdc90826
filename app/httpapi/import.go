package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"rollcall/app"
	"rollcall/app/roster"
	"rollcall/app/slips"
)

// importRoutes: bulk import from CSV, Excel or pasted lines. The file is
// uploaded once and kept in memory as a draft; the preview is asked for
// again with options and cells fixed in place; the commit runs as a job
// (progress and cancel at /api/jobs/{job}) whose results file holds the
// one-time passwords until the job is deleted or expires.
func (s *Server) importRoutes(m *http.ServeMux) {
	m.Handle("GET /api/imports/template", s.admin(s.importTemplate))
	m.Handle("GET /api/organizations/{org}/imports", s.admin(s.listImports))
	m.Handle("POST /api/organizations/{org}/imports", s.admin(s.uploadImport))
	m.Handle("POST /api/organizations/{org}/imports/{draft}/preview", s.admin(s.previewImport))
	m.Handle("POST /api/organizations/{org}/imports/{draft}/commit", s.admin(s.commitImport))
	m.Handle("GET /api/jobs/{job}/import", s.admin(s.importSummary))
	m.Handle("GET /api/jobs/{job}/import-results", s.admin(s.importResults))
	m.Handle("GET /api/jobs/{job}/import-slips", s.admin(s.importSlips))
}

// ImportLimits bound uploads; tests lower them.
var ImportLimits = roster.DefaultLimits

func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	var err error
	format := r.URL.Query().Get("format")
	switch format {
	case "", app.FormatCSV:
		format, err = app.FormatCSV, roster.WriteTemplateCSV(&buf)
	case app.FormatXLSX:
		err = roster.WriteTemplateXLSX(&buf)
	default:
		err = app.FieldError(app.EINVALID, "format", "The template comes as csv or xlsx.")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	sendFile(w, "rollcall-import-template."+format, "", buf.Bytes())
}

func (s *Server) listImports(w http.ResponseWriter, r *http.Request) {
	imps, err := s.app.Imports(r.Context(), r.PathValue("org"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"imports": imps})
}

// uploadImport reads the request body as a roster file (the name in
// ?name= tells CSV from XLSX and a OneRoster .zip; ?format=paste reads
// pasted lines; a multipart/form-data body carries several files chosen at
// once, a OneRoster bundle's CSV files), keeps it
// as a draft and answers {draft, preview} with the default options.
func (s *Server) uploadImport(w http.ResponseWriter, r *http.Request) {
	up, err := s.app.UploadImport(r.Context(), r.PathValue("org"), ownerOf(r), func() (*app.ImportFile, error) {
		return readImportFile(w, r)
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if up != nil {
		l := *up
		l.Preview = up.Preview.Localized(requestLanguage(r))
		up = &l
	}
	writeJSON(w, http.StatusCreated, up)
}

// readImportFile decodes the body of an upload within ImportLimits.
func readImportFile(w http.ResponseWriter, r *http.Request) (*app.ImportFile, error) {
	lim := ImportLimits
	if r.ContentLength > lim.MaxBytes {
		return nil, app.Errorf(app.EINVALID, "The file is larger than %d MB. Split it into smaller files, or remove columns Rollcall does not use.", lim.MaxBytes>>20)
	}
	body := http.MaxBytesReader(w, r.Body, lim.MaxBytes+1)
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		name = "upload.csv"
	}
	var f *app.ImportFile
	var err error
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case q.Get("format") == app.FormatPaste:
		var text []byte
		if text, err = io.ReadAll(body); err == nil {
			f, err = roster.ParsePaste(string(text), lim)
		}
	case mediaType == "multipart/form-data":
		// Several files chosen at once: a OneRoster bundle's CSV files.
		var files []roster.File
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, perr := mr.NextPart()
			if perr == io.EOF {
				break
			} else if perr != nil {
				err = uploadError(perr)
				break
			}
			if part.FileName() == "" {
				continue
			}
			if len(files) == 50 {
				err = app.Errorf(app.EINVALID, "Choose at most 50 files at once.")
				break
			}
			data, rerr := io.ReadAll(part)
			if rerr != nil {
				err = uploadError(rerr)
				break
			}
			files = append(files, roster.File{Name: part.FileName(), Data: data})
		}
		if err == nil {
			f, err = roster.ReadFiles(files, lim)
		}
	default:
		f, err = roster.Read(body, name, r.ContentLength, lim)
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		err = app.Errorf(app.EINVALID, "The file is larger than %d MB. Split it into smaller files.", lim.MaxBytes>>20)
	}
	return f, err
}

// uploadError is a multipart body that cannot be read: too large (left
// for readImportFile to word) or cut off.
func uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return err
	}
	return app.Errorf(app.EINVALID, "The upload could not be read (%v); choose the files again.", err)
}

// ownerOf is the ID of the admin making the request ("" in the desktop
// window): drafts and import jobs are bound to it, so another admin cannot
// read a file or the passwords of an import.
func ownerOf(r *http.Request) string {
	if adm := adminFrom(r.Context()); adm != nil {
		return adm.ID
	}
	return ""
}

// previewImport previews the kept file with the body's options and the
// cells fixed in place (app.ImportRequest).
func (s *Server) previewImport(w http.ResponseWriter, r *http.Request) {
	var in app.ImportRequest
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.app.PreviewDraft(r.Context(), r.PathValue("org"), ownerOf(r), r.PathValue("draft"), in)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p.Localized(requestLanguage(r)))
}

// commitImport starts the import of the kept file (app.StartImport refuses
// at once errors under "all or nothing", nothing to create, the same file
// again unconfirmed) and answers 202 with the job's status.
func (s *Server) commitImport(w http.ResponseWriter, r *http.Request) {
	var in app.ImportRequest
	if err := decode(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	st, err := s.app.StartImport(r.Context(), r.PathValue("org"), ownerOf(r), r.PathValue("draft"), in)
	s.writeJob(w, r, st, err)
}

// importResult returns the finished import job's result.
func (s *Server) importResult(w http.ResponseWriter, r *http.Request) (*app.ImportResult, bool) {
	v, err := s.app.Jobs.ResultFor(ownerOf(r), r.PathValue("job"))
	if err != nil {
		s.error(w, r, err)
		return nil, false
	}
	res, ok := v.(*app.ImportResult)
	if !ok {
		s.error(w, r, app.Errorf(app.ENOTFOUND, "This job is not an import."))
		return nil, false
	}
	return res, true
}

// importSummary is the import's outcome without passwords: the record and
// each row's status and reason.
func (s *Server) importSummary(w http.ResponseWriter, r *http.Request) {
	res, ok := s.importResult(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, res.Localized(requestLanguage(r)))
}

func (s *Server) importResults(w http.ResponseWriter, r *http.Request) {
	res, ok := s.importResult(w, r)
	if !ok {
		return
	}
	res = res.Localized(requestLanguage(r)) // the rows' reasons in the language of who downloads
	var buf bytes.Buffer
	var err error
	format := r.URL.Query().Get("format")
	switch format {
	case "", app.FormatCSV:
		format, err = app.FormatCSV, roster.WriteResultsCSV(&buf, res)
	case app.FormatXLSX:
		err = roster.WriteResultsXLSX(&buf, res)
	default:
		err = app.FieldError(app.EINVALID, "format", "The results come as csv or xlsx.")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	sendFile(w, fmt.Sprintf("rollcall-import-results-%s.%s", res.Import.CreatedAt.Format("2006-01-02-1504"), format), "", buf.Bytes())
}

// importSlips prints slips for the accounts an import created.
func (s *Server) importSlips(w http.ResponseWriter, r *http.Request) {
	res, ok := s.importResult(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	o := slips.Options{Paper: q.Get("paper"), Layout: q.Get("layout"), Now: s.app.Now()}
	if err := o.Check(); err != nil {
		s.error(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := slips.Slips(&buf, res.Accounts, o); err != nil {
		s.error(w, r, err)
		return
	}
	name := "rollcall-slips"
	if g := slips.ClassPart(res.Accounts); g != "" {
		name += "-" + g // one class: its name in the file's
	}
	sendFile(w, fmt.Sprintf("%s-%s.pdf", name, res.Import.CreatedAt.Format("2006-01-02-1504")), "", buf.Bytes())
}

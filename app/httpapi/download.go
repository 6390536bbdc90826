package httpapi

import (
	"mime"
	"net/http"
	"path"
	"strconv"
)

// downloadTypes are the Content-Types of the files the API sends, by extension.
var downloadTypes = map[string]string{
	".csv":  "text/csv; charset=utf-8",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pdf":  "application/pdf",
}

// attachment sets the headers of a file to save as name: its Content-Type
// (ctype; when empty, by the name's extension, application/octet-stream for
// others) and Content-Disposition: attachment with the name as filename=,
// written by mime.FormatMediaType, so quotes and letters beyond ASCII
// arrive intact.
func attachment(w http.ResponseWriter, name, ctype string) {
	if ctype == "" {
		ctype = downloadTypes[path.Ext(name)]
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
}

// sendFile sends data as a file to save as name, of type ctype ("": by
// the name's extension; see attachment).
func sendFile(w http.ResponseWriter, name, ctype string, data []byte) {
	attachment(w, name, ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

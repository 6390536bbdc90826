package roster

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"rollcall/app"
)

// ReadXLSX reads the first worksheet of an Excel workbook that has a row of
// column names Rollcall knows. Before anything is inflated, the sizes in the
// zip directory are checked against the limits (Go's zip reader refuses a
// part that inflates to more than its directory says), so a zip bomb is
// refused at once; worksheets larger than MaxXMLInMemory are streamed
// through a temporary file by excelize.
func ReadXLSX(data []byte, lim Limits) (*app.ImportFile, error) {
	if int64(len(data)) > lim.MaxBytes {
		return nil, tooLarge(lim)
	}
	if err := checkZip(data, lim); err != nil {
		return nil, err
	}
	if err := scanParts(data, lim); err != nil {
		return nil, err
	}
	wb, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    lim.MaxUnzipped,
		UnzipXMLSizeLimit: min(lim.MaxXMLInMemory, lim.MaxUnzipped),
	})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookPassword) || errors.Is(err, excelize.ErrWorkbookFileFormat) {
			return nil, invalid("The workbook is password-protected or not an Excel file. Remove the password in Excel (File → Info → Protect Workbook) and try again.")
		}
		return nil, invalid("The file is not a readable Excel workbook (.xlsx). Open it in Excel and save it again, or save it as CSV.")
	}
	defer wb.Close()
	var firstErr error
	var unmapped *app.ImportFile // the first sheet without a header Rollcall knows
	for _, sheet := range wb.GetSheetList() {
		f, err := readSheet(wb, sheet, lim)
		if err == nil && f.NeedsMapping {
			if unmapped == nil {
				unmapped = f
			}
			continue
		}
		if err == nil {
			return f, nil
		}
		var he headerError
		switch {
		case errors.As(err, &he):
			if firstErr == nil {
				firstErr = he.e
			}
		case app.ErrorCode(err) == app.EINVALID:
			return nil, err
		default:
			return nil, invalid("The workbook cannot be read (%s). Open it in Excel and save it again.", sheetError(err))
		}
	}
	if unmapped != nil {
		return unmapped, nil
	}
	if firstErr == nil {
		return nil, invalid("The workbook has no worksheet.")
	}
	return nil, firstErr
}

// headerError marks a sheet without a header row, so the next one is tried.
type headerError struct{ e *app.Error }

func (h headerError) Error() string { return h.e.Message }
func (h headerError) Unwrap() error { return h.e }

func readSheet(wb *excelize.File, sheet string, lim Limits) (*app.ImportFile, error) {
	rows, err := wb.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	f := &app.ImportFile{Format: app.FormatXLSX, Sheet: sheet}
	t := &table{f: f, lim: lim}
	for n := 1; rows.Next(); n++ {
		if n > MaxExcelRow {
			return nil, invalid("The worksheet %q has more than %d rows.", sheet, MaxExcelRow)
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, err
		}
		header := t.m == nil
		if err := t.add(n, cells); err != nil {
			if e, ok := err.(*app.Error); ok && header && len(cells) <= lim.MaxColumns {
				return nil, headerError{e}
			}
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, err
	}
	if t.m == nil && !t.raw {
		return nil, headerError{app.Errorf(app.EINVALID, "The worksheet %q is empty: it has no row naming the columns and no people.", sheet)}
	}
	if err := t.done(); err != nil {
		return nil, err
	}
	for i := range f.Rows {
		if f.NeedsMapping {
			break
		}
		f.Rows[i].Values[app.ColDeletionDate] = excelDate(f.Rows[i].Values[app.ColDeletionDate])
	}
	return f, nil
}

// excelDate turns a date cell's serial number (days since 1899-12-30, as a
// raw XLSX cell holds a date) into YYYY-MM-DD; other text stays as it is.
func excelDate(s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 1 || v > 2958465 || strings.ContainsAny(s, "eE") {
		return s
	}
	t, err := excelize.ExcelDateToTime(v, false)
	if err != nil {
		return s
	}
	return t.Format(time.DateOnly)
}

func sheetError(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// checkZip refuses a workbook whose parts would inflate beyond the limits.
func checkZip(data []byte, lim Limits) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return invalid("The file is not a readable Excel workbook (.xlsx): %s. Open it in Excel and save it again, or save it as CSV.", strings.TrimPrefix(err.Error(), "zip: "))
	}
	if len(zr.File) > 10_000 {
		return invalid("The workbook has too many parts (%d) to be a roster.", len(zr.File))
	}
	var total uint64
	for _, zf := range zr.File {
		size := zf.UncompressedSize64
		total += size
		if total > uint64(lim.MaxUnzipped) || size > uint64(lim.MaxUnzipped) {
			return invalid("The workbook unpacks to more than %d MB; it is too large or damaged (a \"zip bomb\"). Save the roster alone in a new workbook, or as CSV.", lim.MaxUnzipped>>20)
		}
		name := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
		if !strings.HasPrefix(name, "xl/worksheets/sheet") && size > uint64(lim.MaxPart) {
			return invalid("The workbook part %s unpacks to %d MB, more than a roster needs (at most %d MB). Save the roster alone in a new workbook, or as CSV.", fmt.Sprintf("%.60s", zf.Name), size>>20, lim.MaxPart>>20)
		}
	}
	// A part that inflates to more than the directory says is a bomb with a
	// lying directory: inflate each part up to one byte past its declared
	// size (bounded by the checks above) and compare.
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			return invalid("The file is not a readable Excel workbook (.xlsx): %s. Open it in Excel and save it again, or save it as CSV.", strings.TrimPrefix(err.Error(), "zip: "))
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
		rc.Close()
		if uint64(n) > zf.UncompressedSize64 || errors.Is(err, zip.ErrFormat) {
			return invalid("The workbook is damaged: its part %s does not unpack to the size it declares (a \"zip bomb\"). Save the roster in a new workbook, or as CSV.", fmt.Sprintf("%.60s", zf.Name))
		}
		if err != nil {
			return invalid("The workbook is damaged (%s). Open it in Excel and save it again, or save it as CSV.", strings.TrimPrefix(err.Error(), "zip: "))
		}
	}
	return nil
}

package roster_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rollcall/app/roster"
)

// peakHeap runs fn and returns how far the live heap rose above where it
// was before: sampled every millisecond with runtime.ReadMemStats.
func peakHeap(t *testing.T, fn func()) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > peak.Load() {
		peak.Store(ms.HeapAlloc)
	}
	close(stop)
	wg.Wait()
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

// zipBomb returns a workbook whose one worksheet inflates to size bytes of
// blank rows; honest says whether the zip directory tells the real size
// (a lying one claims 1 KB).
func zipBomb(t *testing.T, size int64, honest bool) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	// The bomb: compressed once per run, written raw with the directory
	// sizes we choose.
	raw, crc, n := bombStream(size)
	declared := uint64(n)
	if !honest {
		declared = 1024
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CRC32: crc, CompressedSize64: uint64(len(raw)), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var bombs sync.Map // size → bomb

type bomb struct {
	raw []byte
	crc uint32
	n   int64
}

// bombStream deflates a worksheet of about size bytes (a header row, then
// blanks) once per test run.
func bombStream(size int64) ([]byte, uint32, int64) {
	if b, ok := bombs.Load(size); ok {
		b := b.(bomb)
		return b.raw, b.crc, b.n
	}
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
	head := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>first_name</t></is></c></row>`
	io.WriteString(fw, head)
	chunk := []byte(strings.Repeat(" ", 1<<20))
	crc := newCRC()
	crc.Write([]byte(head))
	n := int64(len(head))
	for n+int64(len(chunk)) <= size {
		fw.Write(chunk)
		crc.Write(chunk)
		n += int64(len(chunk))
	}
	fw.Close()
	bombs.Store(size, bomb{raw.Bytes(), crc.Sum32(), n})
	return raw.Bytes(), crc.Sum32(), n
}

func TestZipBomb(t *testing.T) {
	for _, honest := range []bool{true, false} {
		name := map[bool]string{true: "Honest", false: "LyingDirectory"}[honest]
		t.Run(name, func(t *testing.T) {
			bomb := zipBomb(t, 300<<20, honest) // 300 MB of worksheet in about 300 KB
			if len(bomb) > 8<<20 {
				t.Fatalf("the bomb is %d bytes", len(bomb))
			}
			var err error
			start := time.Now()
			peak := peakHeap(t, func() {
				_, err = roster.Read(bytes.NewReader(bomb), "bomb.xlsx", int64(len(bomb)), roster.DefaultLimits)
			})
			t.Logf("%s zip bomb (%d KB → 300 MB) refused in %v, heap peak +%d MB: %v", name, len(bomb)>>10, time.Since(start).Round(time.Millisecond), peak>>20, err)
			if err == nil {
				t.Fatal("the zip bomb was accepted")
			}
			if honest && !strings.Contains(err.Error(), "zip bomb") {
				t.Errorf("error = %q", err)
			}
			if !strings.Contains(err.Error(), "Excel") && !strings.Contains(err.Error(), "workbook") {
				t.Errorf("error does not speak of the workbook: %q", err)
			}
			if peak > 64<<20 {
				t.Errorf("heap rose by %d MB refusing a zip bomb; want < 64 MB", peak>>20)
			}
		})
	}
}

func TestHundredMegabyteCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("first_name,last_name\n")
	line := []byte(strings.Repeat("Ada,Lovelace\n", 1<<16))
	for written := 0; written < 100<<20; written += len(line) {
		f.Write(line)
	}
	f.Close()
	st, _ := os.Stat(path)

	// Size known (a file on disk, an upload with Content-Length): refused before reading.
	in, _ := os.Open(path)
	defer in.Close()
	peak := peakHeap(t, func() { _, err = roster.Read(in, "huge.csv", st.Size(), roster.DefaultLimits) })
	t.Logf("100 MB CSV with known size: heap peak +%d MB: %v", peak>>20, err)
	if err == nil || !strings.Contains(err.Error(), "larger than 50 MB") {
		t.Fatalf("error = %v", err)
	}
	if peak > 8<<20 {
		t.Errorf("heap rose by %d MB; want < 8 MB", peak>>20)
	}
	// Size unknown (a stream): read up to the limit and no further.
	in.Seek(0, io.SeekStart)
	peak = peakHeap(t, func() { _, err = roster.Read(in, "huge.csv", -1, roster.DefaultLimits) })
	t.Logf("100 MB CSV as a stream: heap peak +%d MB: %v", peak>>20, err)
	if err == nil || !strings.Contains(err.Error(), "larger than 50 MB") {
		t.Fatalf("error = %v", err)
	}
	if peak > 80<<20 {
		t.Errorf("heap rose by %d MB; want < 80 MB", peak>>20)
	}
}

// rawXLSX builds a workbook from the XML of its shared strings and its one
// worksheet, as a hostile generator would write it.
func rawXLSX(t testing.TB, sst string, sheet string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	add("xl/sharedStrings.xml", sst)
	add("xl/worksheets/sheet1.xml", sheet)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const sstHead = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
const sheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`

// sharedStringBomb is a workbook of about 10 KB whose one shared string of
// size characters is used by n rows.
func sharedStringBomb(t testing.TB, size, n int) []byte {
	sst := sstHead + `<si><t>first_name</t></si><si><t>` + strings.Repeat("a", size) + `</t></si></sst>`
	var sh strings.Builder
	sh.WriteString(sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`)
	for i := 2; i <= n+1; i++ {
		fmt.Fprintf(&sh, `<row r="%d"><c r="A%d" t="s"><v>1</v></c></row>`, i, i)
	}
	sh.WriteString(`</sheetData></worksheet>`)
	return rawXLSX(t, sst, sh.String())
}

func TestSharedStringBomb(t *testing.T) {
	for _, size := range []int{8 << 20, 5000} {
		data := sharedStringBomb(t, size, 100)
		var err error
		peak := peakHeap(t, func() { _, err = roster.Read(bytes.NewReader(data), "x.xlsx", int64(len(data)), roster.DefaultLimits) })
		t.Logf("a %d KB workbook with one %d-character shared string in 100 rows: heap peak +%d MB: %v", len(data)>>10, size, peak>>20, err)
		if err == nil {
			t.Fatal("accepted")
		}
		if len(err.Error()) > 400 {
			t.Errorf("the error message is %d bytes long", len(err.Error()))
		}
		if size == 5000 && !strings.Contains(err.Error(), "longer than 4096 characters") {
			t.Errorf("error = %v", err)
		}
		if peak > 32<<20 {
			t.Errorf("heap rose by %d MB; want < 32 MB", peak>>20)
		}
	}
}

func TestSharedStringsPartLimit(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(sstHead + `<si><t>first_name</t></si>`)
	for sb.Len() < 20<<20 {
		sb.WriteString(`<si><t>a</t></si>`)
	}
	sb.WriteString(`</sst>`)
	data := rawXLSX(t, sb.String(), sheetHead+`<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>`)
	var err error
	peak := peakHeap(t, func() { _, err = roster.Read(bytes.NewReader(data), "x.xlsx", int64(len(data)), roster.DefaultLimits) })
	t.Logf("20 MB of shared strings: heap peak +%d MB: %v", peak>>20, err)
	if err == nil || !strings.Contains(err.Error(), "shared text") {
		t.Fatalf("error = %v", err)
	}
	if peak > 32<<20 {
		t.Errorf("heap rose by %d MB; want < 32 MB", peak>>20)
	}
}

func TestCellLimitCSV(t *testing.T) {
	long := strings.Repeat("é", 4097)
	for _, data := range []string{
		"first_name,last_name\nAda," + long + "\n",
		"first_name,shoe size\nAda," + long + "\n", // a dropped column too
	} {
		_, err := roster.Read(strings.NewReader(data), "x.csv", -1, roster.DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), "Row 2, column 2 has more than 4096 characters") {
			t.Fatalf("error = %v", err)
		}
		if len(err.Error()) > 300 {
			t.Errorf("the error message is %d bytes long", len(err.Error()))
		}
	}
	ok := "first_name,last_name\nAda," + strings.Repeat("é", 4096) + "\n"
	if _, err := roster.Read(strings.NewReader(ok), "x.csv", -1, roster.DefaultLimits); err != nil {
		t.Fatal(err)
	}
}

func TestKeptBytesLimit(t *testing.T) {
	lim := roster.DefaultLimits
	lim.MaxKept = 1000
	data := "first_name\n" + strings.Repeat(strings.Repeat("a", 100)+"\n", 11)
	if _, err := roster.Read(strings.NewReader(data), "x.csv", -1, lim); err == nil || !strings.Contains(err.Error(), "MB of text") {
		t.Fatalf("error = %v", err)
	}
}

func TestWideRowsRefusedEarly(t *testing.T) {
	csvData := []byte("first_name" + strings.Repeat(",", 20<<20) + "\nAda\n")
	var sb strings.Builder
	sb.WriteString(sheetHead + `<row r="1"><c t="s"><v>0</v></c>`)
	for sb.Len() < 60<<20 {
		sb.WriteString(`<c><v>1</v></c>`)
	}
	sb.WriteString(`</row></sheetData></worksheet>`)
	xlsxData := rawXLSX(t, sstHead+`<si><t>first_name</t></si></sst>`, sb.String())
	inline := rawXLSX(t, sstHead+`<si><t>first_name</t></si></sst>`, sheetHead+`<row r="1"><c t="s"><v>0</v></c></row><row r="2"><c t="inlineStr"><is><t>`+strings.Repeat("b", 3<<20)+`</t></is></c></row></sheetData></worksheet>`)
	for _, c := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"a 20 MB line of commas", "x.csv", csvData, "Row 1 has more than 200 columns"},
		{"a 60 MB row of cells", "x.xlsx", xlsxData, "Row 1 has more than 200 columns"},
		{"a 3 MB inline cell", "x.xlsx", inline, "longer than 4096 characters"},
	} {
		var err error
		peak := peakHeap(t, func() {
			_, err = roster.Read(bytes.NewReader(c.data), c.file, int64(len(c.data)), roster.DefaultLimits)
		})
		t.Logf("%s (%d KB file): heap peak +%d MB: %v", c.name, len(c.data)>>10, peak>>20, err)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v", c.name, err)
		}
		// The file itself and its decoded text are in memory; nothing per field.
		if limit := uint64(2*len(c.data)) + 16<<20; peak > limit {
			t.Errorf("%s: heap rose by %d MB; want < %d MB", c.name, peak>>20, limit>>20)
		}
	}
}

func TestQuotedDelimitersAreNotColumns(t *testing.T) {
	data := "first_name,last_name\n\"" + strings.Repeat(",", 500) + "\",Lovelace\n"
	if _, err := roster.Read(strings.NewReader(data), "x.csv", -1, roster.DefaultLimits); err != nil {
		t.Fatal(err)
	}
}

// A 49 MB Windows-1252 file is decoded in one allocation of its UTF-8 size.
func TestWindows1252Memory(t *testing.T) {
	data := []byte("first_name\n" + strings.Repeat("\xe9", 49<<20) + "\n")
	var err error
	peak := peakHeap(t, func() { _, err = roster.Read(bytes.NewReader(data), "x.csv", int64(len(data)), roster.DefaultLimits) })
	t.Logf("49 MB Windows-1252 file: heap peak +%d MB: %v", peak>>20, err)
	if err == nil || !strings.Contains(err.Error(), "more than 4096 characters") {
		t.Fatalf("error = %v", err)
	}
	// The copy read (49 MB) and the UTF-8 text (98 MB); the file itself is not counted.
	if peak > 160<<20 {
		t.Errorf("heap rose by %d MB; want < 160 MB", peak>>20)
	}
}

func TestWindows1252Decode(t *testing.T) {
	f, err := roster.Read(strings.NewReader("first_name,last_name\nJ\xfcrgen,\x80uro\x9f\n"), "x.csv", -1, roster.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if f.Encoding != roster.Encoding1252 || f.Rows[0].Values[0] != "Jürgen" || f.Rows[0].Values[1] != "€uroŸ" {
		t.Fatalf("%s %q", f.Encoding, f.Rows[0].Values[:2])
	}
}

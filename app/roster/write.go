package roster

import (
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"rollcall/app"
	"rollcall/app/sheet"
)

// Column is a template column with its explanation in plain words.
type Column struct {
	Name, Example, Help string
}

// Columns are the template's columns, in app.ImportFields order.
var Columns = []Column{
	{"first_name", "Ada", "Required. The person's first (given) name."},
	{"last_name", "Lovelace", "The family name. Leave it empty only for someone with one name."},
	{"email", "ada.lovelace@example.org", "Optional. The person's own email address; they can sign in with it. It must not belong to another account."},
	{"username", "", "Optional. What the person signs in with. Leave it empty and one is made from the name (e.g. ada.lovelace)."},
	{"password", "", "Optional. Leave it empty and a password is generated; it is shown once, in the results file. A given password must follow the organization's rules."},
	{"account_type", "student", "student, teacher or admin (in a company: learner, creator or admin). Empty means student (learner)."},
	{"groups", "3B;Choir", "Classes or departments, several separated by ; or |. They must exist, unless you choose \"Create the missing groups\"."},
	{"language", "en", "Language code such as en, de, fr, fi, sv. Empty means the organization's language."},
	{"phone", "", "Optional phone number: digits, spaces and + - ( )."},
	{"labels", "", "Optional labels (tags), several separated by ; or |."},
	{"deletion_date", "", "Optional date after which the account is deleted, as YYYY-MM-DD, e.g. the end of the school year."},
	{"job_title", "", "Optional, for staff, e.g. Class teacher."},
	{"change_password", "TRUE", "Optional. TRUE (or yes, 1) asks the person to choose a new password at their first sign-in; FALSE (or no, 0) does not. Empty follows the import's setting."},
	{"status", "", "Optional. Empty or active creates the person; deleted, inactive or suspended leaves the row out (it is listed, not created)."},
}

func init() {
	for i, c := range Columns {
		if app.ImportFields[i] != c.Name {
			panic("roster: Columns out of step with app.ImportFields")
		}
	}
}

// commentPrefix starts a template row that explains a column; readers skip it.
const commentPrefix = "#"

// WriteTemplateCSV writes the CSV template: the column names, an example
// row, and below a blank row the explanation of each column on rows that
// start with # (the readers skip them, so the template can be filled in as
// it is).
func WriteTemplateCSV(w io.Writer) error {
	header, example := make([]string, len(Columns)), make([]string, len(Columns))
	for i, c := range Columns {
		header[i], example[i] = c.Name, c.Example
	}
	rows := [][]string{header, example, {}}
	rows = append(rows, []string{commentPrefix + " One person per row. Delete the example row above and these explanation rows (starting with #) as you like: they are never imported."})
	for _, c := range Columns {
		rows = append(rows, []string{commentPrefix + " " + c.Name + ": " + c.Help})
	}
	return sheet.WriteCSV(w, rows)
}

// WriteTemplateXLSX writes the Excel template: sheet People with the column
// names and an example row (every column formatted as text, so Excel keeps
// leading zeros and dates as typed), and sheet Help explaining each column.
func WriteTemplateXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const people, help = "People", "Help"
	if err := f.SetSheetName("Sheet1", people); err != nil {
		return err
	}
	if _, err := f.NewSheet(help); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(Columns))
	if err := f.SetColStyle(people, "A:"+last, text); err != nil {
		return err
	}
	if err := f.SetColWidth(people, "A", last, 18); err != nil {
		return err
	}
	for i, c := range Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(people, col+"1", c.Name); err != nil {
			return err
		}
		if err := f.SetCellStr(people, col+"2", c.Example); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(people, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetPanes(people, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	rows := [][]string{{"Column", "What to write", "Example"}}
	for _, c := range Columns {
		rows = append(rows, []string{c.Name, c.Help, c.Example})
	}
	rows = append(rows, []string{}, []string{"", "One person per row on the sheet People. Column names may also be those of other systems (First Name, Surname, E-mail, Class, Role, ...); columns Rollcall does not know are reported and left out.", ""})
	for i, r := range rows {
		for j, v := range r {
			col, _ := excelize.ColumnNumberToName(j + 1)
			if err := f.SetCellStr(help, col+strconv.Itoa(i+1), v); err != nil {
				return err
			}
		}
	}
	if err := f.SetCellStyle(help, "A1", "C1", bold); err != nil {
		return err
	}
	f.SetColWidth(help, "A", "A", 16)
	f.SetColWidth(help, "B", "B", 100)
	f.SetColWidth(help, "C", "C", 26)
	f.SetActiveSheet(0)
	return f.Write(w)
}

// WriteResultsXLSX writes the results file as an Excel workbook. Every cell
// is a string cell in the text format (never a formula), escaped like the
// CSV's (sheet.SafeCell): a value starting with = + - @ TAB CR LF gets a
// leading ', so that editing the cell in Excel cannot turn it into a
// formula either. Passwords are never escaped in practice: generated ones
// and given ones never start with such a character (refused when planning).
func WriteResultsXLSX(w io.Writer, res *app.ImportResult) error {
	return writeTextSheet(w, "Results", resultRows(res), map[int]float64{1: 9, 2: 9, 3: 50})
}

// writeTextSheet writes rows as a workbook of one sheet called name: every
// cell a string cell in the text format (never a formula) escaped by
// sheet.SafeCell, the first row bold and frozen. widths sets the width of
// columns by number (from 1); the others are 18 wide.
func writeTextSheet(w io.Writer, name string, rows [][]string, widths map[int]float64) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	for c := 1; c <= cols; c++ {
		wd, ok := widths[c]
		if !ok {
			wd = 18
		}
		sw.SetColWidth(c, c, wd)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			c := excelize.Cell{Value: sheet.SafeCell(v), StyleID: text} // a string, never a formula
			if i == 0 {
				c.StyleID = bold
			}
			cells[j] = c
		}
		axis, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(axis, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

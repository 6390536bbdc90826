package app

// ImportFields are the columns an import file may have, in the template's
// order. Every row of an ImportFile carries its values in this order.
var ImportFields = []string{
	"first_name", "last_name", "email", "username", "password", "account_type",
	"groups", "language", "phone", "labels", "deletion_date", "job_title", "change_password",
}

// Indexes into ImportRow.Values.
const (
	ColFirstName = iota
	ColLastName
	ColEmail
	ColUsername
	ColPassword
	ColAccountType
	ColGroups
	ColLanguage
	ColPhone
	ColLabels
	ColDeletionDate
	ColJobTitle
	// ColChangePassword: TRUE/FALSE (yes/no, 1/0), as Google's "Change
	// Password at Next Sign-In"; empty follows the import's option.
	ColChangePassword
)

// ImportFieldIndex returns the index of a field of ImportFields, or -1.
func ImportFieldIndex(field string) int {
	for i, f := range ImportFields {
		if f == field {
			return i
		}
	}
	return -1
}

// Import file formats.
const (
	FormatCSV   = "csv"
	FormatXLSX  = "xlsx"
	FormatPaste = "paste" // lines pasted into a box: First Last,email[,password]
)

// ImportFile is a roster as read from a CSV or XLSX file or pasted text,
// before any checking: the columns Rollcall knows, one row per person, each
// with its row number in the original file. Unknown columns are named in
// Unknown and their values dropped.
type ImportFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	// Encoding and Delimiter say how a CSV file was read (for the preview).
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	// Columns are the fields the file has, in its column order.
	Columns []string `json:"columns"`
	// Unknown are the headers of the columns that were dropped.
	Unknown []string    `json:"unknown_columns"`
	Rows    []ImportRow `json:"rows"`
}

// ImportRow is one person of a file.
type ImportRow struct {
	// Line is the row number in the original file, as a spreadsheet shows it.
	Line int `json:"line"`
	// Values are aligned with ImportFields; a column the file lacks is "".
	Values []string `json:"values"`
}

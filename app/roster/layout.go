package roster

// Header recognition, in one place: the column names Rollcall knows (its
// own and other systems'), the layouts it recognises by their header
// (Entra, Google Workspace, Moodle, Canvas, OneRoster), and how each
// column of a recognised header is read into app.ImportFields.

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"rollcall/app"
)

// Layout names, shown in the preview.
const (
	LayoutRollcall  = "Rollcall import template"
	LayoutEntra     = "Microsoft Entra bulk-create template"
	LayoutGoogle    = "Google Workspace user upload CSV"
	LayoutMoodle    = "Moodle user upload CSV"
	LayoutCanvas    = "Canvas SIS users.csv"
	LayoutOneRoster = "OneRoster users.csv"
	// LayoutOneRoster11 and LayoutOneRoster12 name whole bundles.
	LayoutOneRoster11 = "OneRoster 1.1 CSV bundle"
	LayoutOneRoster12 = "OneRoster 1.2 CSV bundle"
)

// Pseudo-fields: how a column is read when it is not one field as it is.
const (
	fullName        = app.FullNameField // a whole name, split into first and last
	kindLogin       = "login"           // an email-style sign-in name (Entra UPN, Google's Email Address)
	kindOrgUnit     = "org_unit"        // Google's Org Unit Path: its last part is the group
	kindMoreGroups  = "more_groups"     // Moodle cohort1, course1, group1, ...: each adds a group
	kindEnabled     = "status_enabled"  // TRUE = active, FALSE = inactive (enabledUser, active)
	kindSuspended   = "status_suspended"
	kindDeleted     = "status_deleted"
	kindBlocked     = "status_blocked" // Entra "Block sign in (Yes/No)"
	kindAuth        = "status_auth"    // Moodle auth: nologin cannot sign in
	kindPasswordFn  = "password_hash"  // Google: the password is a hash, not usable
	kindDrop        = "drop"           // known, deliberately left out (SIS ids, ...)
	statusTextField = "status"
)

// aliases maps a normalized header (lower case, only letters and digits) to
// a field of app.ImportFields or a pseudo-field. They cover the exports of
// common school and directory systems (Entra/Azure AD, Google Workspace,
// Apple School Manager, ThingLink, ilos) and the column names people type
// in English, German, French, Finnish and Swedish.
var aliases = map[string]string{}

func init() {
	for field, names := range map[string][]string{
		"first_name": {"firstname", "first", "givenname", "given", "forename", "forenames", "preferredfirstname",
			"studentfirstname", "vorname", "prenom", "etunimi", "fornamn", "nombre", "voornaam"},
		"last_name": {"lastname", "last", "surname", "familyname", "family", "sn", "studentlastname",
			"nachname", "nom", "nomdefamille", "sukunimi", "efternamn", "apellido", "apellidos", "achternaam"},
		"email": {"email", "emailaddress", "mail", "emailid", "primaryemail", "primaryemailaddress", "useremail",
			"emailadresse", "courriel", "sahkoposti", "epost", "epostadress", "correo", "login_email", "loginemail"},
		"username": {"username", "user", "login", "loginname", "loginid", "userid", "userlogonname",
			"samaccountname", "account", "accountname", "benutzername", "benutzer",
			"kayttajatunnus", "tunnus", "anvandarnamn", "identifiant"},
		kindLogin: {"userprincipalname", "upn"},
		"password": {"password", "pass", "pwd", "passwd", "initialpassword", "temporarypassword", "newpassword",
			"passwort", "kennwort", "motdepasse", "salasana", "losenord"},
		"account_type": {"accounttype", "type", "role", "roles", "usertype", "userrole", "accountrole", "profile",
			"persontype", "rolle", "typ", "rooli", "roll", "declaredusertype"},
		"groups": {"groups", "group", "class", "classes", "classname", "department", "departments", "homeroom",
			"form", "section", "grade", "groupname", "memberof", "team", "teams", "klasse", "gruppe", "abteilung",
			"classe", "groupe", "luokka", "ryhma", "klass", "grupp", "avdelning"},
		"language": {"language", "lang", "locale", "preferredlanguage", "languagecode", "sprache", "langue",
			"kieli", "sprak", "idioma"},
		"phone": {"phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "telephone", "telephonenumber",
			"tel", "cell", "cellphone", "businessphones", "officephone", "telefon", "handy", "telephone",
			"puhelin", "matkapuhelin"},
		"labels": {"labels", "label", "tags", "tag"},
		"deletion_date": {"deletiondate", "deleteon", "deleteafter", "deletedate", "expires", "expiry",
			"expirydate", "expirationdate", "enddate", "leavingdate", "leavedate", "accountexpires",
			"loschdatum", "ablaufdatum", "poistopaiva"},
		"job_title": {"jobtitle", "title", "position", "jobposition", "occupation", "stellung", "berufsbezeichnung",
			"titre", "tehtavanimike", "nimike", "befattning"},
		// Google Workspace's "Change Password at Next Sign-In", Entra's
		// "Force change password next sign in".
		"change_password": {"changepassword", "changepasswordatnextsignin", "changepasswordatnextlogin",
			"changepasswordatfirstsignin", "changeatfirstsignin", "changepasswordatsignin", "mustchangepassword",
			"forcechangepasswordnextsignin", "forcechangepassword", "forcepasswordchange", "passwordchangerequired",
			"requirepasswordchange", "passwortandern", "kennwortandern", "changermotdepasse", "vaihdasalasana",
			"bytlosenord"},
		statusTextField: {"status", "accountstatus", "userstatus", "state", "newstatus"},
		kindEnabled:     {"active", "enabled", "enableduser", "accountenabled", "isactive", "aktiv"},
		kindSuspended:   {"suspended", "disabled", "issuspended", "locked", "gesperrt"},
		kindDeleted:     {"deleted", "isdeleted"},
		kindBlocked:     {"blocksignin", "blocked"},
		fullName: {"name", "fullname", "displayname", "studentname", "personname", "pupilname", "cn",
			"vollstandigername", "nomcomplet", "nimi", "namn",
			// "Lovelace, Ada" in one column, as German school systems export it
			"nachnamevorname", "lastnamefirstname", "surnamefirstname", "namevorname"},
	} {
		for _, n := range names {
			aliases[normalizeHeader(n)] = field
		}
		if app.ImportFieldIndex(field) >= 0 || field == fullName {
			aliases[normalizeHeader(field)] = field
		}
	}
}

// normalizeHeader lower-cases h, drops accents and keeps letters and digits:
// "E-Mail Address" → "emailaddress", "Prénom" → "prenom".
func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(h)) {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') || r >= 0x80 && unicode.IsLetter(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Field returns the field of app.ImportFields (or "full_name") a column
// header means, or "" when Rollcall does not know it.
func Field(header string) string {
	f := field(header)
	switch {
	case f == kindLogin:
		return "username"
	case strings.HasPrefix(f, "status"):
		return "status"
	case f == kindDrop || f == kindPasswordFn:
		return ""
	}
	return f
}

// field is Field with the pseudo-fields.
func field(header string) string {
	h := normalizeHeader(header)
	if f, ok := aliases[h]; ok {
		return f
	}
	// "Email (login)", "Class / Group", "E-mail address [school]": what
	// stands before a bracket, slash, bar or colon decides. "Class teacher"
	// or "Name of parent" mean something else: unknown, reported and dropped.
	// A qualifier naming someone else ("Phone (parent)") is not the person's.
	if i := strings.IndexAny(header, "([/|:"); i > 0 && !aboutSomeoneElse(header) {
		if f, ok := aliases[normalizeHeader(header[:i])]; ok {
			return f
		}
	}
	return ""
}

// otherPeople are words in a header that make a column someone else's data.
var otherPeople = map[string]bool{}

func init() {
	for _, w := range []string{"parent", "parents", "guardian", "guardians", "mother", "father", "carer",
		"emergency", "contact", "teacher", "tutor", "eltern", "vater", "mutter", "erziehungsberechtigte",
		"erziehungsberechtigter", "lehrer", "lehrerin", "parents", "tuteur", "huoltaja", "vanhempi", "opettaja",
		"vardnadshavare", "foralder", "foraldrar", "larare"} {
		otherPeople[normalizeHeader(w)] = true
	}
}

func aboutSomeoneElse(header string) bool {
	for _, w := range strings.FieldsFunc(header, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if otherPeople[normalizeHeader(w)] {
			return true
		}
	}
	return false
}

// layout is a header Rollcall recognises: its name, how to tell it, and
// the columns it reads otherwise than the generic aliases do.
type layout struct {
	name string
	// is tells the layout from the header's cells, trimmed, as written.
	is func(h headerSet) bool
	// column reads one header cell; "" falls back to the generic aliases.
	column func(cell string) string
}

// headerSet is a header's cells, trimmed, as written and normalized.
type headerSet struct {
	raw  map[string]bool
	norm map[string]bool
}

func newHeaderSet(cells []string) headerSet {
	h := headerSet{raw: map[string]bool{}, norm: map[string]bool{}}
	for _, c := range cells {
		c = strings.TrimSpace(c)
		h.raw[c] = true
		h.norm[normalizeHeader(c)] = true
	}
	return h
}

func (h headerSet) all(raw ...string) bool {
	for _, c := range raw {
		if !h.raw[c] {
			return false
		}
	}
	return true
}

// graphProperty is the Graph property in an Entra header cell:
// "User name [userPrincipalName] Required" → "userprincipalname".
func graphProperty(cell string) string {
	i, j := strings.IndexByte(cell, '['), strings.IndexByte(cell, ']')
	if i < 0 || j < i {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(cell[i+1 : j]))
}

var (
	moodleGroupRe = regexp.MustCompile(`^(cohort|course|group)[0-9]+$`)
	moodleRoleRe  = regexp.MustCompile(`^role[0-9]+$`)
	moodleDropRe  = regexp.MustCompile(`^(type|enrolperiod|enrolstatus|enroltimestart)[0-9]+$`)
)

// layouts are tried in order; the first whose is matches names the file.
var layouts = []layout{
	{
		name: LayoutEntra,
		is: func(h headerSet) bool {
			return h.norm["usernameuserprincipalnamerequired"] || h.norm["nameuserprincipalnamerequired"]
		},
		column: func(cell string) string {
			return map[string]string{
				"userprincipalname": kindLogin, "displayname": fullName, "passwordprofile": "password",
				"accountenabled": kindBlocked, "givenname": "first_name", "surname": "last_name",
				"jobtitle": "job_title", "department": "groups", "usagelocation": kindDrop,
				"telephonenumber": "phone", "mobile": "phone",
			}[graphProperty(cell)]
		},
	},
	{
		name: LayoutGoogle,
		is: func(h headerSet) bool {
			return h.norm["emailaddressrequired"] && (h.norm["orgunitpathrequired"] || h.norm["firstnamerequired"])
		},
		column: func(cell string) string {
			base := cell
			if i := strings.IndexByte(cell, '['); i > 0 {
				base = cell[:i]
			}
			return map[string]string{
				"emailaddress": kindLogin, "orgunitpath": kindOrgUnit, "passwordhashfunction": kindPasswordFn,
				"department": kindDrop, "employeetitle": "job_title", "employeeid": kindDrop, "employeetype": kindDrop,
				"newstatus": statusTextField, "newprimaryemail": kindDrop, "recoveryemail": kindDrop,
				"homesecondaryemail": kindDrop, "worksecondaryemail": kindDrop, "recoveryphone": kindDrop,
				"homephone": kindDrop, "manageremail": kindDrop, "workphone": "phone",
			}[normalizeHeader(base)]
		},
	},
	{
		name: LayoutCanvas,
		is:   func(h headerSet) bool { return h.all("user_id", "login_id") },
		column: func(cell string) string {
			return map[string]string{
				"user_id": kindDrop, "login_id": "username", "integration_id": kindDrop,
				"authentication_provider_id": kindDrop, "ssha_password": kindDrop, "sortable_name": kindDrop,
				"short_name": kindDrop, "full_name": fullName, "declared_user_type": "account_type",
				"canvas_password_notification": kindDrop, "home_account": kindDrop, "pronouns": kindDrop,
				"status": statusTextField,
			}[strings.TrimSpace(cell)]
		},
	},
	{
		name: LayoutOneRoster,
		is:   func(h headerSet) bool { return h.all("sourcedId", "givenName", "familyName") },
		column: func(cell string) string {
			return map[string]string{
				"sourcedId": kindDrop, "status": statusTextField, "dateLastModified": kindDrop,
				"enabledUser": kindEnabled, "orgSourcedIds": kindDrop, "role": "account_type", "username": "username",
				"userIds": kindDrop, "givenName": "first_name", "familyName": "last_name", "middleName": kindDrop,
				"identifier": kindDrop, "email": "email", "sms": kindDrop, "phone": "phone",
				"agentSourcedIds": kindDrop, "grades": kindDrop, "password": "password",
				"userMasterIdentifier": kindDrop, "preferredGivenName": kindDrop, "preferredFirstName": kindDrop,
				"prefferedGivenName": kindDrop, "preferredMiddleName": kindDrop, "preferredFamilyName": kindDrop,
				"preferredLastName": kindDrop, "primaryOrgSourcedId": kindDrop, "pronouns": kindDrop,
				"metadata": kindDrop,
			}[strings.TrimSpace(cell)]
		},
	},
	{
		name: LayoutMoodle,
		is:   func(h headerSet) bool { return h.all("username", "firstname", "lastname") },
		column: func(cell string) string {
			c := strings.TrimSpace(cell)
			switch {
			case moodleGroupRe.MatchString(c):
				return kindMoreGroups
			case moodleRoleRe.MatchString(c):
				return "account_type"
			case moodleDropRe.MatchString(c):
				return kindDrop
			}
			return map[string]string{
				"auth": kindAuth, "suspended": kindSuspended, "deleted": kindDeleted, "idnumber": kindDrop,
				"institution": kindDrop, "department": kindDrop, "city": kindDrop, "country": kindDrop,
				"lang": "language", "phone1": "phone", "phone2": kindDrop, "address": kindDrop,
				"description": kindDrop, "oldusername": kindDrop,
			}[c]
		},
	},
	{
		name: LayoutRollcall,
		is: func(h headerSet) bool {
			if !h.raw["first_name"] {
				return false
			}
			for c := range h.raw {
				if c != "" && app.ImportFieldIndex(c) < 0 {
					return false
				}
			}
			return true
		},
		column: func(string) string { return "" },
	},
}

// detectLayout returns the layout a header is, or nil.
func detectLayout(header []string) *layout {
	h := newHeaderSet(header)
	for i := range layouts {
		if layouts[i].is(h) {
			return &layouts[i]
		}
	}
	return nil
}

// column is how one column of a file is read.
type column struct {
	field int    // index in app.ImportFields; -1 left out; -2 full name
	kind  string // a pseudo-field, or "" for the field as it is
}

// mapping turns a header row into the positions of known fields.
type mapping struct {
	layout   string
	cols     []column
	columns  []string // fields the file has, in its order (for the preview)
	unknown  []string
	hasFirst bool
	hasName  bool // a full-name or sign-in column: enough without a first name
	hasEmail bool
}

// newMapping reads a header row: the layout it is, and what each column
// holds. known counts the columns read.
func newMapping(header []string) (*mapping, int) {
	m := &mapping{cols: make([]column, len(header))}
	var lay *layout
	if lay = detectLayout(header); lay != nil {
		m.layout = lay.name
	}
	seen := map[string]bool{}
	known := 0
	for i, h := range header {
		m.cols[i] = column{field: -1}
		f := ""
		if lay != nil {
			f = lay.column(h)
		}
		if f == "" {
			f = field(h)
		}
		// one column per field, but any number of extra groups and status
		// columns, and of phone columns (Google's Work and Mobile Phone,
		// Entra's Office and Mobile phone): the first filled one is read
		repeatable := f == kindMoreGroups || strings.HasPrefix(f, "status") || f == "phone"
		switch {
		case f == "" || f == kindDrop || (seen[f] && !repeatable):
			if strings.TrimSpace(h) != "" {
				m.unknown = append(m.unknown, strings.TrimSpace(h))
			}
			continue
		case f == fullName:
			m.cols[i].field = -2
			m.hasName = true
		default:
			shown := f
			switch {
			case f == kindLogin:
				shown = "username"
			case f == kindOrgUnit || f == kindMoreGroups:
				shown = "groups"
			case strings.HasPrefix(f, "status"):
				shown = "status"
			case f == kindPasswordFn:
				shown = ""
			}
			if shown != "" {
				m.cols[i].field = app.ImportFieldIndex(shown)
			} else {
				m.cols[i].field = app.ColPassword
			}
			if f != shown {
				m.cols[i].kind = f
			}
			m.hasFirst = m.hasFirst || f == "first_name"
			m.hasName = m.hasName || f == kindLogin
			m.hasEmail = m.hasEmail || f == "email"
		}
		seen[f] = true
		known++
		if f != kindPasswordFn {
			name := app.ImportFields[max(m.cols[i].field, 0)]
			if m.cols[i].field == -2 {
				name = fullName
			}
			if !contains(m.columns, name) {
				m.columns = append(m.columns, name)
			}
		}
	}
	return m, known
}

// usable says the header names a column to take each person's name from.
func (m *mapping) usable() bool { return m.hasFirst || m.hasName }

// statusWord reads a status column's cell into the words of ColStatus.
func statusWord(kind, c string) string {
	yes, ok := app.ParseImportBool(c)
	switch kind {
	case kindEnabled:
		if ok {
			return map[bool]string{true: "active", false: "inactive"}[yes]
		}
	case kindSuspended:
		if ok {
			return map[bool]string{true: "suspended", false: "active"}[yes]
		}
	case kindDeleted:
		if ok {
			return map[bool]string{true: "deleted", false: ""}[yes]
		}
	case kindBlocked:
		if ok {
			return map[bool]string{true: "blocked", false: "active"}[yes]
		}
	case kindAuth:
		if strings.EqualFold(c, "nologin") {
			return "nologin"
		}
		return ""
	}
	return c
}

// row maps one record's cells to a row; ok is false for a row with no
// value at all.
func (m *mapping) row(line int, cells []string) (row app.ImportRow, ok bool) {
	values := make([]string, len(app.ImportFields))
	row = app.ImportRow{Line: line, Values: values, Cells: cells}
	login, hashed := "", false
	for i, c := range cells {
		if i >= len(m.cols) || m.cols[i].field == -1 {
			continue
		}
		c = app.UnescapeCell(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		ok = true
		col := m.cols[i]
		switch {
		case col.field == -2:
			if row.FullName == "" {
				row.FullName = c
			}
		case col.kind == kindLogin:
			login = c
		case col.kind == kindPasswordFn:
			hashed = true
		case col.kind == kindOrgUnit:
			parts := strings.FieldsFunc(c, func(r rune) bool { return r == '/' })
			if len(parts) > 0 {
				values[app.ColGroups] = joinGroups(values[app.ColGroups], strings.TrimSpace(parts[len(parts)-1]))
			}
		case col.field == app.ColGroups:
			values[app.ColGroups] = joinGroups(values[app.ColGroups], c)
		case col.field == app.ColPhone:
			if values[app.ColPhone] == "" {
				values[app.ColPhone] = c
			}
		case col.field == app.ColStatus:
			if w := statusWord(col.kind, c); w != "" && (values[app.ColStatus] == "" || app.StatusCreates(values[app.ColStatus])) {
				values[app.ColStatus] = w
			}
		default:
			values[col.field] = c
		}
	}
	if hashed {
		values[app.ColPassword] = "" // a hash is no password: one is generated
	}
	if login != "" {
		local, _, _ := strings.Cut(login, "@")
		if values[app.ColEmail] == "" && strings.Contains(login, "@") {
			values[app.ColEmail] = login
		}
		if values[app.ColUsername] == "" && app.CheckUsername(local) == "" {
			values[app.ColUsername] = local
		}
	}
	if row.FullName != "" && values[app.ColFirstName] == "" && values[app.ColLastName] == "" {
		values[app.ColFirstName], values[app.ColLastName] = app.SplitName(row.FullName)
	} else {
		row.FullName = ""
	}
	return row, ok
}

// joinGroups adds a group to a list separated by ;.
func joinGroups(list, g string) string {
	if g == "" {
		return list
	}
	if list == "" {
		return g
	}
	return list + ";" + g
}

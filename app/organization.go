package app

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Kinds of organization. The kind decides which account types exist.
const (
	KindSchool     = "school"
	KindEnterprise = "enterprise"
)

// Account types.
const (
	TypeStudent = "student"
	TypeTeacher = "teacher"
	TypeAdmin   = "admin"
	TypeLearner = "learner"
	TypeCreator = "creator"
)

// Organization is a school or company: the unit that holds groups and users.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Slug is the short, unchangeable name used on the command line and in addresses.
	Slug string `json:"slug"`
	Kind string `json:"kind"`
	// Language is the default language (BCP 47) for new users and mails.
	Language string `json:"language"`
	// Country is where the organization is (ISO 3166-1 alpha-2, e.g. FI):
	// phone numbers written without + are read as its numbers. Empty: they
	// need their country code.
	Country string `json:"country,omitempty"`
	// LoginDomain, when set, gives generated accounts a login email username@LoginDomain.
	LoginDomain string `json:"login_domain"`
	// PublicURL is the base of every link in mails and QR codes; never the request's Host.
	PublicURL      string         `json:"public_url"`
	PasswordPolicy PasswordPolicy `json:"password_policy"`
	// UsernamePattern shapes generated usernames (one of UsernamePatterns).
	UsernamePattern string `json:"username_pattern"`
	// PasswordStyle is the default style of generated passwords: words or random.
	PasswordStyle string `json:"password_style"`
	// SignUp is self-sign-up with invite codes (app/signup.go).
	SignUp SignUpSettings `json:"signup"`
	// AuditRetentionDays is how long audit entries are kept (PruneAudit);
	// 0 means DefaultAuditRetentionDays.
	AuditRetentionDays int `json:"audit_retention_days"`
	// PurgeGraceDays is how long a person or group past its deletion date
	// stays deactivated before it is erased for good (lifecycle.go); nil in
	// files written before the setting existed, read as DefaultPurgeGraceDays.
	PurgeGraceDays *int `json:"purge_grace_days"`
	// SSOOnly lists the account types whose people may not sign in with a
	// password (they use a sign-in provider, sso.go), e.g. teachers.
	SSOOnly []string `json:"sso_only,omitempty"`
	// Badges is the sign-in badge rule per account type (badge.go):
	// BadgeOnly or BadgeWithPIN; an account type not listed has no badges.
	Badges    map[string]string `json:"badges,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// AccountTypes lists the account types of the organization's kind, the default first.
func (o *Organization) AccountTypes() []string {
	if o.Kind == KindEnterprise {
		return []string{TypeLearner, TypeCreator, TypeAdmin}
	}
	return []string{TypeStudent, TypeTeacher, TypeAdmin}
}

// HasAccountType reports whether t is an account type of the organization.
func (o *Organization) HasAccountType(t string) bool {
	for _, x := range o.AccountTypes() {
		if x == t {
			return true
		}
	}
	return false
}

var (
	slugRe   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)
	domainRe = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
)

// Validate checks the organization's fields and returns an EINVALID error
// naming each field at fault.
func (o *Organization) Validate() error {
	v := validation{}
	checkName(v, "name", "The organization name", o.Name)
	if !slugRe.MatchString(o.Slug) {
		v.add("slug", "The short name %q may use only a–z, 0–9 and dashes (1–40 characters, no dash at either end).", o.Slug)
	}
	if o.Kind != KindSchool && o.Kind != KindEnterprise {
		v.add("kind", "The kind must be %q or %q.", KindSchool, KindEnterprise)
	}
	checkLanguage(v, "language", o.Language)
	checkCountry(v, o.Country)
	if o.LoginDomain != "" && (len(o.LoginDomain) > 253 || !domainRe.MatchString(o.LoginDomain)) {
		v.add("login_domain", "%q is not a domain name (expected e.g. pupils.maple.example).", o.LoginDomain)
	}
	if o.PublicURL != "" {
		if msg := checkPublicURL(o.PublicURL); msg != "" {
			v.add("public_url", "%s", msg)
		}
	}
	if err := o.PasswordPolicy.Validate(); err != nil {
		v.add("password_policy", "%s", ErrorArg(err))
	}
	if o.UsernamePattern != "" && !slices.Contains(UsernamePatterns, o.UsernamePattern) {
		v.add("username_pattern", "The username pattern must be one of %s.", strings.Join(UsernamePatterns, ", "))
	}
	if o.PasswordStyle != "" && o.PasswordStyle != StyleWords && o.PasswordStyle != StyleRandom {
		v.add("password_style", "The password style must be %q or %q.", StyleWords, StyleRandom)
	}
	o.SignUp.validate(v, o)
	if o.AuditRetentionDays < 0 || o.AuditRetentionDays > MaxAuditRetentionDays {
		v.add("audit_retention_days", "Keep the audit log between 1 and %d days (730 days is two years).", MaxAuditRetentionDays)
	}
	if g := o.PurgeGraceDays; g != nil && (*g < 0 || *g > MaxPurgeGraceDays) {
		v.add("purge_grace_days", "The grace period is 0 to %d days.", MaxPurgeGraceDays)
	}
	for _, t := range o.SSOOnly {
		if !o.HasAccountType(t) {
			v.add("sso_only", "The account type %q does not exist here; choose among %s.", t, strings.Join(o.AccountTypes(), ", "))
		}
	}
	o.validateBadges(v)
	return v.err("name", "slug", "kind", "language", "country", "login_domain", "public_url", "password_policy", "username_pattern", "password_style", "signup", "audit_retention_days", "purge_grace_days", "sso_only", "badges")
}

// passwordStyle is the organization's default style for generated passwords.
func (o *Organization) passwordStyle() string {
	if o.PasswordStyle == "" {
		return StyleWords
	}
	return o.PasswordStyle
}

func checkPublicURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case !strings.Contains(s, "://"):
		return "Add http:// or https:// in front of the public address, e.g. https://rollcall.maple.example."
	case err != nil || hasControl(s) || len(s) > 2000:
		return fmt.Sprintf("%q is not a web address.", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return "The public address must start with http:// or https://."
	case u.Host == "" || u.User != nil:
		return fmt.Sprintf("%q has no host name (expected e.g. https://rollcall.maple.example).", s)
	case u.RawQuery != "" || u.Fragment != "":
		return "The public address must not have a ?query or #fragment."
	}
	return ""
}

// Slugify derives a short name from an organization name: ASCII letters and
// digits, accents dropped, other runs of characters turned into one dash.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 40 {
		s = strings.Trim(s[:40], "-")
	}
	if s == "" {
		s = "org"
	}
	return s
}

// OrganizationUpdate holds the settings that may change; nil fields stay as they are.
type OrganizationUpdate struct {
	Name            *string         `json:"name"`
	Language        *string         `json:"language"`
	Country         *string         `json:"country"`
	LoginDomain     *string         `json:"login_domain"`
	PublicURL       *string         `json:"public_url"`
	PasswordPolicy  *PasswordPolicy `json:"password_policy"`
	UsernamePattern *string         `json:"username_pattern"`
	PasswordStyle   *string         `json:"password_style"`
	SignUp          *SignUpSettings `json:"signup"`
	// AuditRetentionDays: 0 sets the default (730 days).
	AuditRetentionDays *int `json:"audit_retention_days"`
	PurgeGraceDays     *int `json:"purge_grace_days"`
	// SSOOnly: the account types that may not sign in with a password.
	SSOOnly *[]string `json:"sso_only"`
	// Badges replaces the badge rules (account type → rule).
	Badges *map[string]string `json:"badges"`
}

// OrganizationStore keeps organizations. Slugs are unique case-insensitively.
type OrganizationStore interface {
	// CreateOrganization stores a new organization; ECONFLICT when the slug is taken.
	CreateOrganization(ctx context.Context, o *Organization) error
	// Organization returns the organization with the ID; ENOTFOUND if none.
	Organization(ctx context.Context, id string) (*Organization, error)
	// OrganizationBySlug returns the organization with the slug; ENOTFOUND if none.
	OrganizationBySlug(ctx context.Context, slug string) (*Organization, error)
	// Organizations returns every organization, ordered by name.
	Organizations(ctx context.Context) ([]*Organization, error)
	// UpdateOrganization replaces a stored organization; ENOTFOUND if gone.
	UpdateOrganization(ctx context.Context, o *Organization) error
}

// CreateOrganization creates an organization. An empty slug is derived from
// the name; an empty kind means a school; the language defaults to English.
// Errors: EINVALID, ECONFLICT (slug taken).
func (a *App) CreateOrganization(ctx context.Context, o *Organization) (*Organization, error) {
	if err := RequireServerAdmin(ctx); err != nil {
		return nil, err
	}
	org := &Organization{
		Name:        Clean(o.Name),
		Slug:        Key(o.Slug),
		Kind:        Key(o.Kind),
		Language:    Clean(o.Language),
		Country:     strings.ToUpper(Clean(o.Country)),
		LoginDomain: Key(o.LoginDomain),
		PublicURL:   strings.TrimRight(Clean(o.PublicURL), "/"),
	}
	if org.Slug == "" {
		org.Slug = Slugify(org.Name)
	}
	if org.Kind == "" {
		org.Kind = KindSchool
	}
	if org.Language == "" {
		org.Language = "en"
	}
	if !Speaks(org.Language) {
		return nil, FieldError(EINVALID, "language", "%q is not one of the languages Rollcall speaks: choose one of %s.", org.Language, strings.Join(Languages, ", "))
	}
	org.UsernamePattern, org.PasswordStyle = DefaultUsernamePattern, StyleWords
	org.AuditRetentionDays = DefaultAuditRetentionDays
	org.PurgeGraceDays = o.PurgeGraceDays
	if org.PurgeGraceDays == nil {
		grace := DefaultPurgeGraceDays
		org.PurgeGraceDays = &grace
	}
	org.PasswordPolicy = o.PasswordPolicy
	if org.PasswordPolicy == (PasswordPolicy{}) {
		org.PasswordPolicy = DefaultPasswordPolicy
	}
	if err := org.Validate(); err != nil {
		return nil, err
	}
	if err := a.checkLoginDomainFree(ctx, "", org.LoginDomain); err != nil {
		return nil, err
	}
	org.ID = a.newID()
	org.CreatedAt = a.now()
	org.UpdatedAt = org.CreatedAt
	ctx = a.audit(ctx, org.ID, "organization.create", orgTarget(org), org.Kind)
	if err := a.Store.CreateOrganization(ctx, org); err != nil {
		return nil, err
	}
	if _, err := a.ensureCode(ctx, org.ID, ""); err != nil { // the organization's invite code, from the start
		return nil, err
	}
	return org, nil
}

// Organizations lists the organizations the actor may reach by name: every
// one for a server admin, their own for an organization or group admin.
func (a *App) Organizations(ctx context.Context) ([]*Organization, error) {
	orgs, err := a.Store.Organizations(ctx)
	s := ScopeOf(ctx)
	out := orgs[:0]
	for _, o := range orgs {
		if s.allows(o.ID) {
			o.fillDefaults()
			out = append(out, o)
		}
	}
	return out, err
}

// Organization finds an organization by its ID or its slug. Errors: ENOTFOUND.
func (a *App) Organization(ctx context.Context, ref string) (*Organization, error) {
	o, err := a.findOrganization(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := checkOrg(ctx, o, ref); err != nil {
		return nil, err
	}
	return o, nil
}

// findOrganization finds organization ref by ID or slug, whoever asks.
func (a *App) findOrganization(ctx context.Context, ref string) (*Organization, error) {
	o, err := a.Store.Organization(ctx, ref)
	if ErrorCode(err) == ENOTFOUND {
		o, err = a.Store.OrganizationBySlug(ctx, Key(ref))
	}
	if ErrorCode(err) == ENOTFOUND {
		return nil, orgNotFound(ref)
	}
	if o != nil {
		o.fillDefaults()
	}
	return o, err
}

// ViewOrganization is an organization's settings for any of its admins:
// group admins see them too (account types, password rules, the sign-up
// settings their groups follow). Errors: ENOTFOUND.
func (a *App) ViewOrganization(ctx context.Context, ref string) (*Organization, error) {
	o, _, err := a.scopedOrg(ctx, ref)
	return o, err
}

// UpdateOrganization changes an organization's settings. Errors: ENOTFOUND, EINVALID.
func (a *App) UpdateOrganization(ctx context.Context, ref string, upd OrganizationUpdate) (*Organization, error) {
	o, err := a.Organization(ctx, ref)
	if err != nil {
		return nil, err
	}
	before := *o
	if upd.Name != nil {
		o.Name = Clean(*upd.Name)
	}
	if upd.Language != nil {
		if o.Language = Clean(*upd.Language); o.Language == "" {
			o.Language = "en"
		}
		if o.Language != before.Language && !Speaks(o.Language) {
			return nil, FieldError(EINVALID, "language", "%q is not one of the languages Rollcall speaks: choose one of %s.", o.Language, strings.Join(Languages, ", "))
		}
	}
	if upd.Country != nil {
		o.Country = strings.ToUpper(Clean(*upd.Country))
	}
	if upd.LoginDomain != nil {
		o.LoginDomain = Key(*upd.LoginDomain)
	}
	if upd.PublicURL != nil {
		o.PublicURL = strings.TrimRight(Clean(*upd.PublicURL), "/")
	}
	if upd.PasswordPolicy != nil {
		o.PasswordPolicy = *upd.PasswordPolicy
	}
	if upd.UsernamePattern != nil {
		o.UsernamePattern = Key(*upd.UsernamePattern)
	}
	if upd.PasswordStyle != nil {
		o.PasswordStyle = Key(*upd.PasswordStyle)
	}
	if upd.SignUp != nil {
		su := *upd.SignUp
		su.Login, su.DefaultAccountType = Key(su.Login), Key(su.DefaultAccountType)
		if su.DefaultGroup != "" {
			g, err := a.group(ctx, o, Clean(su.DefaultGroup))
			if err != nil {
				return nil, FieldError(EINVALID, "signup", "%s", ErrorArg(err))
			}
			su.DefaultGroup = g.ID
		}
		o.SignUp = su
	}
	if upd.AuditRetentionDays != nil {
		if o.AuditRetentionDays = *upd.AuditRetentionDays; o.AuditRetentionDays == 0 {
			o.AuditRetentionDays = DefaultAuditRetentionDays
		}
	}
	if upd.SSOOnly != nil {
		o.SSOOnly = nil
		for _, t := range *upd.SSOOnly {
			if t = Key(t); !slices.Contains(o.SSOOnly, t) {
				o.SSOOnly = append(o.SSOOnly, t)
			}
		}
	}
	if upd.PurgeGraceDays != nil {
		grace := *upd.PurgeGraceDays
		o.PurgeGraceDays = &grace
	}
	if upd.Badges != nil {
		o.Badges = cleanBadges(*upd.Badges)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.LoginDomain != before.LoginDomain {
		if err := a.checkLoginDomainFree(ctx, o.ID, o.LoginDomain); err != nil {
			return nil, err
		}
	}
	o.UpdatedAt = a.now()
	ctx = a.audit(ctx, o.ID, "organization.update", orgTarget(o), "changed "+differentFields(before, *o))
	if err := a.Store.UpdateOrganization(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}

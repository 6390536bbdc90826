package app

import (
	"context"
	"net/url"
	"slices"
	"strings"
)

// Sign-up addresses: what QR codes, posters and the admin's pages show for
// an invite code or link. One rule for the HTTP API and the command line.

// SignUpBases are the base addresses QR codes of org may start with, the
// default first: extra (the addresses of sign-up on this network while it
// is on, or a base the admin gave on the command line), then the
// organization's public address. Network sign-up is switched on for the
// room's phones and tablets, so the display and posters use it; a public
// address that names this computer (127.0.0.1, localhost) would not open
// on them.
func SignUpBases(org *Organization, extra []string) []string {
	out := []string{}
	for _, b := range extra {
		if b = strings.TrimRight(b, "/"); b != "" && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	if p := strings.TrimRight(org.PublicURL, "/"); p != "" && !slices.Contains(out, p) {
		out = append(out, p)
	}
	return out
}

// LocalOnly reports whether base address b names this computer (a loopback
// address or localhost): it opens in this computer's browser only, never on
// a phone or tablet.
func LocalOnly(b string) bool {
	u, err := url.Parse(b)
	return err == nil && u.Host != "" && IsLoopbackHost(u.Hostname())
}

// PickBase returns want when it is one of bases, else the first base.
// Errors: EINVALID on field base (an unknown base, or none at all, said so
// plainly: an address is never invented).
func PickBase(org *Organization, bases []string, want string) (string, error) {
	want = strings.TrimRight(want, "/")
	if want != "" {
		if slices.Contains(bases, want) {
			return want, nil
		}
		return "", FieldError(EINVALID, "base", "%q is neither the organization's public address nor the sign-up address on this network.", want)
	}
	if len(bases) == 0 {
		return "", FieldError(EINVALID, "base", "%s has no public address yet. Set it in Settings, or open sign-up on this network, to make QR codes.", org.Name)
	}
	return bases[0], nil
}

// CodeAddress is where an invite code's QR code leads.
type CodeAddress struct {
	// Bases are the base addresses to choose from; Base is the one used.
	Bases []string `json:"bases"`
	Base  string   `json:"base"`
	// URL is the address the QR code opens ("" when there is no base:
	// Problem says why).
	URL string `json:"url"`
	// Address is the short address to type, without the code.
	Address string `json:"address"`
	Problem string `json:"base_problem,omitempty"`
	problem error  // Problem before it was put into words (Localized)
	// LocalOnly says Base opens on this computer only (LocalOnly), so the
	// pages showing it say so plainly.
	LocalOnly bool `json:"local_only,omitempty"`
}

// CodeAddress is the sign-up address of code c of org, on the base want
// (default: the first of SignUpBases(org, extra)).
func (a *App) CodeAddress(org *Organization, c *InviteCode, extra []string, want string) CodeAddress {
	out := CodeAddress{Bases: SignUpBases(org, extra)}
	b, err := PickBase(org, out.Bases, want)
	if err != nil {
		out.Problem, out.problem = ErrorMessage(err), err
		return out
	}
	out.Base, out.URL, out.Address = b, b+"/join/"+c.Code, ShortAddress(b+"/join")
	out.LocalOnly = LocalOnly(b)
	return out
}

// Localized is c with its Problem in lang (PickLanguage chooses from it).
func (c CodeAddress) Localized(lang string) CodeAddress {
	if c.problem != nil {
		c.Problem = LocalizedMessage(c.problem, lang)
	}
	return c
}

// LinkURL is the address of an invite link with token on base.
func LinkURL(base, token string) string { return base + "/link/" + token }

// Paper sizes of posters.
const (
	PaperA4     = "a4"
	PaperLetter = "letter"
)

// Poster is what one sign-up poster shows; app/poster prints it.
type Poster struct {
	// Title is the group's (or organization's) name, printed largest.
	Title string
	// Subtitle is the organization's name above the title (may be empty).
	Subtitle string
	// URL is what the QR code opens: the base address + /join/CODE or /link/TOKEN.
	URL string
	// Address is the short address printed for typing, e.g. 192.168.1.20:8081/join.
	Address string
	// Code is the code to type as displayed (K7QM-3XRD), empty for a link.
	Code string
	// Paper is PaperA4 (default) or PaperLetter.
	Paper string
	// Language is the organization's: the poster's fixed words are in it.
	Language string
}

// ShortAddress drops the scheme from a URL for printing: people type
// 192.168.1.20:8081/join, the browser adds http://.
func ShortAddress(u string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	return strings.TrimRight(s, "/")
}

// QRFile is what a QR code or poster is made of: the poster's content
// (its URL is the QR code's) and the download's name without extension.
type QRFile struct {
	Poster Poster
	Name   string
}

func checkPaper(paper string) error {
	if paper != "" && paper != PaperA4 && paper != PaperLetter {
		return FieldError(EINVALID, "paper", "The paper is a4 or letter.")
	}
	return nil
}

// CodePoster is the QR code and poster of the code of organization ref
// (group "") or one of its groups: the group's name as title with the
// organization's below it, or the organization's name alone. extra and base
// are as for CodeAddress. Errors: ENOTFOUND, EINVALID (base, paper).
func (a *App) CodePoster(ctx context.Context, ref, group string, extra []string, base, paper string) (*QRFile, error) {
	if err := checkPaper(paper); err != nil {
		return nil, err
	}
	c, err := a.InviteCodeOf(ctx, ref, group)
	if err != nil {
		return nil, err
	}
	org, err := a.findOrganization(ctx, c.OrgID) // InviteCodeOf checked the actor
	if err != nil {
		return nil, err
	}
	title, subtitle := org.Name, ""
	if c.GroupID != "" {
		g, err := a.Group(ctx, org.ID, c.GroupID)
		if err != nil {
			return nil, err
		}
		title, subtitle = g.Name, org.Name
	}
	addr := a.CodeAddress(org, c, extra, base)
	if addr.URL == "" {
		return nil, FieldError(EINVALID, "base", "%s", ErrorArg(addr.problem))
	}
	return &QRFile{
		Poster: Poster{Title: title, Subtitle: subtitle, URL: addr.URL, Address: addr.Address, Code: c.Display(), Paper: paper, Language: org.Language},
		Name:   "code-" + FileSlug(title) + "-" + c.Code,
	}, nil
}

// LinkPoster is the QR code and poster of invite link id, for its current
// token (the admin's page holds it; it is not stored). Errors: ENOTFOUND,
// EINVALID (token, base, paper).
func (a *App) LinkPoster(ctx context.Context, ref, id, token string, extra []string, base, paper string) (*QRFile, error) {
	if err := checkPaper(paper); err != nil {
		return nil, err
	}
	l, err := a.CheckInviteLinkToken(ctx, ref, id, token)
	if err != nil {
		return nil, err
	}
	org, err := a.findOrganization(ctx, l.OrgID) // CheckInviteLinkToken checked the actor
	if err != nil {
		return nil, err
	}
	b, err := PickBase(org, SignUpBases(org, extra), base)
	if err != nil {
		return nil, err
	}
	title := l.Name
	if title == "" {
		title = "Sign up"
	}
	url := LinkURL(b, token)
	return &QRFile{
		Poster: Poster{Title: title, Subtitle: org.Name, URL: url, Address: ShortAddress(url), Paper: paper, Language: org.Language},
		Name:   "link-" + FileSlug(title),
	}, nil
}

// FileSlug makes a name safe inside a file name.
func FileSlug(name string) string {
	s := Slugify(name)
	if s == "org" && !strings.EqualFold(name, "org") {
		return "group"
	}
	return s
}

package app

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	"time"
)

// The words of the invitation mails are the catalogues' mail.invite.*
// messages (app/locales/*.json), templates over invitationData; the
// greeting and the closing line are shared with the other mails.

// mailLanguage picks the language of a mail (or SMS) to a person: theirs
// when Rollcall speaks it, else their organization's (as the portal does),
// else English. A person whose language Rollcall does not write (se, nb)
// gets the organization's, not English.
func mailLanguage(person string, org *Organization) string {
	if org == nil {
		return PickLanguage(person)
	}
	return PickLanguage(person, org.Language)
}

type invitationData struct {
	Org, Name, By, Email, Link, SignIn, Expires string
}

// data is d as the catalogues' templates take it.
func (d invitationData) data() []any {
	return []any{"Org", d.Org, "Name", d.Name, "By", d.By, "Email", d.Email, "Link", d.Link, "SignIn", d.SignIn, "Expires", d.Expires}
}

var invitationHTML = htmltemplate.Must(htmltemplate.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;color:#1d2330">
<div style="max-width:520px;margin:0 auto;background:#fff;border-radius:8px;padding:24px">
<p style="font-size:13px;color:#5b6475;margin:0 0 16px">{{.Org}}</p>
<p>{{.Hello}}</p>
<p>{{.Body}}</p>
{{if .Username}}<p>{{.Username}}</p>{{end}}
<p style="margin:24px 0"><a href="{{.Link}}" style="background:#2357d9;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">{{.Button}}</a></p>
<p style="font-size:13px;color:#5b6475;word-break:break-all">{{.Link}}</p>
<p style="font-size:13px;color:#5b6475">{{.Expires}}</p>
<p style="font-size:13px;color:#5b6475">{{.Ignore}}</p>
</div></body></html>
`))

// renderInvitation writes the invitation mail for inv in its language:
// plain text, HTML and the subject.
func renderInvitation(org *Organization, inv *Invitation, link string) (text, html, subject string, err error) {
	lang := mailLanguage(inv.Language, org)
	tx := TextsFor(lang)
	d := invitationData{Org: org.Name, Name: firstWord(inv.Name), By: inv.InvitedBy, Email: inv.Email, Link: link,
		SignIn: org.PublicURL + "/signin", Expires: tx.Date(inv.ExpiresAt.In(time.Local))}
	data := d.data()
	out := struct{ Subject, Hello, Body, Button, Username, Expires, Ignore string }{}
	switch inv.Mode {
	case ModeCreate:
		out.Subject, out.Button, out.Username = tx.T("mail.invite.subjectCreate", data...), tx.T("mail.invite.buttonCreate", data...), tx.T("mail.invite.username", data...)
		out.Body = tx.T("mail.invite.create", data...)
		if d.By != "" {
			out.Body = tx.T("mail.invite.createBy", data...)
		}
	case ModeJoin:
		out.Subject, out.Button = tx.T("mail.invite.subjectJoin", data...), tx.T("mail.invite.buttonJoin", data...)
		out.Body = tx.T("mail.invite.join", data...)
		if d.By != "" {
			out.Body = tx.T("mail.invite.joinBy", data...)
		}
	default:
		out.Subject, out.Button = tx.T("mail.invite.subject", data...), tx.T("mail.invite.button", data...)
		out.Body = tx.T("mail.invite.invite", data...)
		if d.By != "" {
			out.Body = tx.T("mail.invite.inviteBy", data...)
		}
	}
	out.Hello = mailHello(tx, d.Name)
	out.Expires, out.Ignore = tx.T("mail.invite.expires", data...), tx.T("mail.invite.ignore")
	var tb strings.Builder
	tb.WriteString(out.Hello + "\n\n" + out.Body + "\n\n")
	if out.Username != "" {
		tb.WriteString(out.Username + "\n\n")
	}
	tb.WriteString(out.Button + ":\n" + link + "\n\n" + out.Expires + "\n\n" + out.Ignore + "\n\n-- \n" + org.Name + "\n")
	var hb bytes.Buffer
	err = invitationHTML.Execute(&hb, map[string]any{
		"Lang": lang, "Subject": out.Subject, "Org": org.Name, "Hello": out.Hello, "Body": out.Body,
		"Username": out.Username, "Link": htmltemplate.URL(link), "Button": out.Button, "Expires": out.Expires, "Ignore": out.Ignore,
	})
	if err != nil {
		return "", "", "", err
	}
	return tb.String(), hb.String(), out.Subject, nil
}

// mailHello is the greeting of a mail to a person with the first name
// (none: a greeting without a name).
func mailHello(tx *Texts, name string) string {
	if name == "" {
		return tx.T("mail.invite.helloNoName")
	}
	return tx.T("mail.invite.hello", "Name", name)
}

func firstWord(name string) string {
	first, _ := SplitName(name)
	return first
}

func htmlEscape(s string) string { return htmltemplate.HTMLEscapeString(s) }

package app

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	"text/template"
	"time"
)

// mailText holds one language's wording of the invitation mails. Each
// sentence is a text/template over invitationData.
type mailText struct {
	Subject, SubjectCreate, SubjectJoin string
	Hello, HelloNoName                  string
	Invite, InviteBy                    string
	Create, CreateBy                    string
	Join, JoinBy                        string
	Button, ButtonCreate, ButtonJoin    string
	Username                            string
	Expires                             string
	Ignore                              string
}

var mailTexts = map[string]mailText{
	"en": {
		Subject:       "You are invited to {{.Org}}",
		SubjectCreate: "Your account at {{.Org}}",
		SubjectJoin:   "Join {{.Org}} with your account",
		Hello:         "Hello {{.Name}},",
		HelloNoName:   "Hello,",
		Invite:        "You are invited to {{.Org}}. Open the link below to choose your password and complete your account.",
		InviteBy:      "{{.By}} invites you to {{.Org}}. Open the link below to choose your password and complete your account.",
		Create:        "An account has been created for you at {{.Org}}. Open the link below to set your password.",
		CreateBy:      "{{.By}} has created an account for you at {{.Org}}. Open the link below to set your password.",
		Join:          "You are invited to move your account to {{.Org}}. Your password stays the same.",
		JoinBy:        "{{.By}} invites you to move your account to {{.Org}}. Your password stays the same.",
		Button:        "Accept the invitation",
		ButtonCreate:  "Set your password",
		ButtonJoin:    "Join {{.Org}}",
		Username:      "You sign in with your email address {{.Email}} at {{.SignIn}}",
		Expires:       "The link works until {{.Expires}} and only once.",
		Ignore:        "If you did not expect this message, you can ignore it.",
	},
	"fi": {
		Subject:       "Sinut on kutsuttu: {{.Org}}",
		SubjectCreate: "Käyttäjätunnuksesi: {{.Org}}",
		SubjectJoin:   "Liity tililläsi: {{.Org}}",
		Hello:         "Hei {{.Name}},",
		HelloNoName:   "Hei,",
		Invite:        "Sinut on kutsuttu organisaatioon {{.Org}}. Avaa alla oleva linkki, valitse salasana ja viimeistele tilisi.",
		InviteBy:      "{{.By}} kutsuu sinut organisaatioon {{.Org}}. Avaa alla oleva linkki, valitse salasana ja viimeistele tilisi.",
		Create:        "Sinulle on luotu tili organisaatiossa {{.Org}}. Aseta salasanasi alla olevasta linkistä.",
		CreateBy:      "{{.By}} on luonut sinulle tilin organisaatiossa {{.Org}}. Aseta salasanasi alla olevasta linkistä.",
		Join:          "Sinut kutsutaan siirtämään tilisi organisaatioon {{.Org}}. Salasanasi pysyy samana.",
		JoinBy:        "{{.By}} kutsuu sinut siirtämään tilisi organisaatioon {{.Org}}. Salasanasi pysyy samana.",
		Button:        "Hyväksy kutsu",
		ButtonCreate:  "Aseta salasana",
		ButtonJoin:    "Liity: {{.Org}}",
		Username:      "Kirjaudut sähköpostiosoitteellasi {{.Email}} osoitteessa {{.SignIn}}",
		Expires:       "Linkki toimii {{.Expires}} asti ja vain kerran.",
		Ignore:        "Jos et odottanut tätä viestiä, voit jättää sen huomiotta.",
	},
	"sv": {
		Subject:       "Du är inbjuden till {{.Org}}",
		SubjectCreate: "Ditt konto hos {{.Org}}",
		SubjectJoin:   "Gå med i {{.Org}} med ditt konto",
		Hello:         "Hej {{.Name}},",
		HelloNoName:   "Hej,",
		Invite:        "Du är inbjuden till {{.Org}}. Öppna länken nedan för att välja ditt lösenord och slutföra ditt konto.",
		InviteBy:      "{{.By}} bjuder in dig till {{.Org}}. Öppna länken nedan för att välja ditt lösenord och slutföra ditt konto.",
		Create:        "Ett konto har skapats åt dig hos {{.Org}}. Öppna länken nedan för att välja ditt lösenord.",
		CreateBy:      "{{.By}} har skapat ett konto åt dig hos {{.Org}}. Öppna länken nedan för att välja ditt lösenord.",
		Join:          "Du är inbjuden att flytta ditt konto till {{.Org}}. Ditt lösenord förblir detsamma.",
		JoinBy:        "{{.By}} bjuder in dig att flytta ditt konto till {{.Org}}. Ditt lösenord förblir detsamma.",
		Button:        "Acceptera inbjudan",
		ButtonCreate:  "Välj lösenord",
		ButtonJoin:    "Gå med i {{.Org}}",
		Username:      "Du loggar in med din e-postadress {{.Email}} på {{.SignIn}}",
		Expires:       "Länken gäller till och med {{.Expires}} och bara en gång.",
		Ignore:        "Om du inte väntade dig det här meddelandet kan du bortse från det.",
	},
	"de": {
		Subject:       "Einladung zu {{.Org}}",
		SubjectCreate: "Ihr Konto bei {{.Org}}",
		SubjectJoin:   "Mit Ihrem Konto zu {{.Org}} wechseln",
		Hello:         "Hallo {{.Name}},",
		HelloNoName:   "Hallo,",
		Invite:        "Sie sind zu {{.Org}} eingeladen. Öffnen Sie den Link unten, um Ihr Passwort zu wählen und Ihr Konto fertigzustellen.",
		InviteBy:      "{{.By}} lädt Sie zu {{.Org}} ein. Öffnen Sie den Link unten, um Ihr Passwort zu wählen und Ihr Konto fertigzustellen.",
		Create:        "Für Sie wurde ein Konto bei {{.Org}} angelegt. Öffnen Sie den Link unten, um Ihr Passwort festzulegen.",
		CreateBy:      "{{.By}} hat für Sie ein Konto bei {{.Org}} angelegt. Öffnen Sie den Link unten, um Ihr Passwort festzulegen.",
		Join:          "Sie sind eingeladen, Ihr Konto zu {{.Org}} zu verschieben. Ihr Passwort bleibt gleich.",
		JoinBy:        "{{.By}} lädt Sie ein, Ihr Konto zu {{.Org}} zu verschieben. Ihr Passwort bleibt gleich.",
		Button:        "Einladung annehmen",
		ButtonCreate:  "Passwort festlegen",
		ButtonJoin:    "{{.Org}} beitreten",
		Username:      "Sie melden sich mit Ihrer E-Mail-Adresse {{.Email}} an unter {{.SignIn}}",
		Expires:       "Der Link gilt bis zum {{.Expires}} und nur einmal.",
		Ignore:        "Wenn Sie diese Nachricht nicht erwartet haben, können Sie sie ignorieren.",
	},
}

// mailLanguage picks the language of a mail to a person with the language
// tag (mails are written in Languages; others get English).
func mailLanguage(tag string) string { return PickLanguage(tag) }

type invitationData struct {
	Org, Name, By, Email, Link, SignIn, Expires string
}

func fill(tmpl string, d invitationData) (string, error) {
	t, err := template.New("").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, d)
	return b.String(), err
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
	lang := mailLanguage(inv.Language)
	mt := mailTexts[lang]
	d := invitationData{Org: org.Name, Name: firstWord(inv.Name), By: inv.InvitedBy, Email: inv.Email, Link: link,
		SignIn: org.PublicURL + "/signin", Expires: TextsFor(lang).Date(inv.ExpiresAt.In(time.Local))}
	subj, body, button, user := mt.Subject, mt.Invite, mt.Button, ""
	switch inv.Mode {
	case ModeCreate:
		subj, body, button, user = mt.SubjectCreate, mt.Create, mt.ButtonCreate, mt.Username
		if d.By != "" {
			body = mt.CreateBy
		}
	case ModeJoin:
		subj, body, button = mt.SubjectJoin, mt.Join, mt.ButtonJoin
		if d.By != "" {
			body = mt.JoinBy
		}
	default:
		if d.By != "" {
			body = mt.InviteBy
		}
	}
	hello := mt.HelloNoName
	if d.Name != "" {
		hello = mt.Hello
	}
	out := struct{ Subject, Hello, Body, Button, Username, Expires, Ignore string }{}
	for _, f := range []struct {
		src string
		dst *string
	}{{subj, &out.Subject}, {hello, &out.Hello}, {body, &out.Body}, {button, &out.Button}, {mt.Expires, &out.Expires}, {mt.Ignore, &out.Ignore}} {
		if *f.dst, err = fill(f.src, d); err != nil {
			return "", "", "", err
		}
	}
	if user != "" {
		if out.Username, err = fill(user, d); err != nil {
			return "", "", "", err
		}
	}
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

func firstWord(name string) string {
	first, _ := SplitName(name)
	return first
}

func htmlEscape(s string) string { return htmltemplate.HTMLEscapeString(s) }

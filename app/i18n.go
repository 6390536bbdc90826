package app

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Languages are the languages Rollcall speaks: its pages, mails and PDFs
// are written in each, and an organization, an invitation or a sign-up can
// choose only these. The first is the fallback. The frontend's list is
// frontend/src/lib/i18n.svelte.ts; both are checked against the catalogues.
var Languages = []string{"en", "fi", "sv", "de"}

// The message catalogues, one JSON file per language, which a translator
// edits: app/locales/{en,fi,sv,de}.json. A message with plural forms is an
// object {"one": ..., "other": ...} as CLDR names them; {{.N}} is the count.
//
//go:embed locales/*.json
var localeFiles embed.FS

var (
	bundle      *i18n.Bundle
	langTags    []language.Tag
	langMatcher language.Matcher
)

func init() {
	bundle = i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, l := range Languages {
		if _, err := bundle.LoadMessageFileFS(localeFiles, "locales/"+l+".json"); err != nil {
			panic(fmt.Sprintf("app: the %s message catalogue: %v", l, err))
		}
		langTags = append(langTags, language.MustParse(l))
	}
	langMatcher = language.NewMatcher(langTags)
}

// PickLanguage is the one place a language is negotiated: the first of tags
// (in order of precedence, e.g. the person's language, then the
// organization's default, then an Accept-Language header) that Rollcall
// speaks, else English. A tag may be a list as in Accept-Language
// ("fi-FI,fi;q=0.9,en;q=0.8").
func PickLanguage(tags ...string) string {
	for _, s := range tags {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		parsed, _, err := language.ParseAcceptLanguage(s)
		if err != nil || len(parsed) == 0 {
			continue
		}
		for _, t := range parsed {
			if _, i, conf := langMatcher.Match(t); conf >= language.High {
				return Languages[i]
			}
		}
	}
	return Languages[0]
}

// Speaks reports whether lang is one of Languages, as written.
func Speaks(lang string) bool { return slices.Contains(Languages, lang) }

// Texts are the fixed words of one language, for PDFs, mails and messages
// that are not errors.
type Texts struct {
	Lang string
	loc  *i18n.Localizer
}

var (
	textsMu sync.Mutex
	texts   = map[string]*Texts{}
)

// TextsFor returns the texts in the language PickLanguage chooses from tags.
func TextsFor(tags ...string) *Texts {
	lang := PickLanguage(tags...)
	textsMu.Lock()
	defer textsMu.Unlock()
	if t := texts[lang]; t != nil {
		return t
	}
	t := &Texts{Lang: lang, loc: i18n.NewLocalizer(bundle, lang)}
	texts[lang] = t
	return t
}

// T is the message id filled with data (pairs of name, value: T("x", "Name",
// "Emma")). A message missing from the language falls back to English; one
// missing everywhere is its id, so it shows instead of vanishing (the
// catalogue test fails on it first).
func (t *Texts) T(id string, data ...any) string {
	return t.localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: pairs(data)})
}

// N is the message id in the plural form CLDR chooses for n in the
// language; {{.N}} in the message is n.
func (t *Texts) N(id string, n int, data ...any) string {
	d := pairs(data)
	d["N"] = n
	return t.localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: d})
}

func (t *Texts) localize(c *i18n.LocalizeConfig) string {
	s, err := t.loc.Localize(c)
	if err != nil && s == "" {
		return c.MessageID
	}
	return s
}

func pairs(data []any) map[string]any {
	m := make(map[string]any, len(data)/2+1)
	for i := 0; i+1 < len(data); i += 2 {
		m[fmt.Sprint(data[i])] = data[i+1]
	}
	return m
}

// Date is a day as the language writes it: 3.12.2026 in Finnish,
// 2026-12-03 in Swedish, 03.12.2026 in German, 3 December 2026 in English.
func (t *Texts) Date(d time.Time) string {
	return d.Format(t.T("format.date"))
}

// DateTime is a day and a time of day (24-hour clock) as the language writes it.
func (t *Texts) DateTime(d time.Time) string {
	return t.Date(d) + " " + d.Format(t.T("format.time"))
}

// Collator orders names as the language does: Swedish and Finnish put å ä ö
// after z, German sorts ä with a. Case and accents matter only between
// names that are otherwise equal. A Collator is not safe for concurrent use.
func Collator(lang string) *collate.Collator {
	return collate.New(language.Make(PickLanguage(lang)))
}

// sortName is what people are ordered by: the last name, then the first
// (a space sorts before every letter, so Ander Zoe comes before Andersson Anna).
func sortName(last, first string) string { return strings.TrimSpace(last + " " + first) }

// CompareNames returns a function that orders people by last name, then
// first name, in the collation of lang: the order of every list of people.
// The function is for one goroutine (one sort) at a time.
func CompareNames(lang string) func(a, b *User) int {
	c := Collator(lang)
	return func(a, b *User) int {
		return c.CompareString(sortName(a.LastName, a.FirstName), sortName(b.LastName, b.FirstName))
	}
}

var collators sync.Map // language → *sync.Pool of *keyMaker

// keyMaker is a collator and the buffer its keys are made in (4 KiB,
// reused: made anew for each key it would be garbage of 4 KiB a person in
// a batch of thousands).
type keyMaker struct {
	c   *collate.Collator
	buf collate.Buffer
}

// NameSortKey is the key of a person in lists ordered by name in lang:
// keys compared byte by byte order people as CompareNames does, up to case
// and accents that are no letters of their own (the index breaks such ties
// by the person's ID). Only the collation's first level is kept: a key of
// 2 bytes a letter instead of 5, in every person's index entry.
func NameSortKey(lang, last, first string) []byte {
	lang = PickLanguage(lang)
	p, _ := collators.LoadOrStore(lang, &sync.Pool{New: func() any { return &keyMaker{c: collate.New(language.Make(lang), collate.Loose)} }})
	m := p.(*sync.Pool).Get().(*keyMaker)
	defer p.(*sync.Pool).Put(m)
	m.buf.Reset()
	return append([]byte(nil), m.c.KeyFromString(&m.buf, sortName(last, first))...)
}

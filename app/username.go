package app

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/mozillazg/go-unidecode"
	"golang.org/x/text/unicode/norm"
)

// Username patterns an organization can choose for generated usernames.
var UsernamePatterns = []string{"first.last", "firstlast", "first.l", "f.last", "flast", "first_last"}

// DefaultUsernamePattern is used when an organization has not chosen one.
const DefaultUsernamePattern = "first.last"

// MaxGeneratedUsername caps the generated part of a username, before any
// number added to make it unique.
const MaxGeneratedUsername = 30

// reservedUsernames are never generated: they look like system accounts.
var reservedUsernames = map[string]bool{
	"admin": true, "administrator": true, "root": true, "system": true, "support": true, "help": true,
	"info": true, "test": true, "guest": true, "null": true, "undefined": true, "api": true, "www": true,
	"mail": true, "postmaster": true, "webmaster": true, "hostmaster": true, "abuse": true, "security": true,
	"noreply": true, "no-reply": true, "rollcall": true, "user": true, "users": true, "staff": true,
	"teacher": true, "student": true, "everyone": true, "all": true, "nobody": true,
}

// translit spells letters that lose more than an accent. Cyrillic follows a
// simple English-reader scheme (ж→zh, х→kh, щ→shch); Greek the ELOT 743 one.
// German umlauts drop their dots like every other accent (Jürgen → jurgen,
// not juergen): one rule for every language, and what a child types on a
// tablet without the umlaut key.
var translit = map[rune]string{
	'ł': "l", 'ø': "o", 'æ': "ae", 'œ': "oe", 'ß': "ss", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i", 'ħ': "h", 'ŋ': "ng",
	// Cyrillic
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "yu", 'я': "ya", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g", 'ў': "u", 'ј': "j", 'љ': "lj",
	'њ': "nj", 'ћ': "c", 'џ': "dz", 'ђ': "dj",
	// Greek
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i", 'θ': "th", 'ι': "i", 'κ': "k",
	'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x", 'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t",
	'υ': "y", 'φ': "f", 'χ': "ch", 'ψ': "ps", 'ω': "o",
}

// Transliterate turns a name into lower-case ASCII letters and digits:
// accents dropped, other scripts spelled out (Łukasz → lukasz, Ольга → olga,
// Αθηνά → athina; letters of scripts without a table, such as Chinese,
// Korean, Arabic, Hebrew or Thai, as unidecode spells them: 王小明 →
// wangxiaoming, 민준 → minjun), everything else removed. A generated
// username is therefore always ASCII. Each letter is looked up in
// the table as written first (й → y, ї → yi, not и or і without their
// marks); only letters the table lacks lose their accents.
func Transliterate(name string) string {
	type letter struct {
		base  rune   // the letter without its accents
		out   string // its spelling, when the table has the letter as written
		set   bool
		apart bool // a diaeresis: ϋ in Ταΰγετος is no diphthong
	}
	var letters []letter
	for _, r := range norm.NFC.String(strings.ToLower(name)) {
		if t, ok := translit[r]; ok {
			letters = append(letters, letter{base: r, out: t, set: true})
			continue
		}
		dec := norm.NFD.String(string(r))
		for _, d := range dec {
			if !unicode.Is(unicode.Mn, d) {
				letters = append(letters, letter{base: d, apart: strings.ContainsRune(dec, '\u0308')})
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(letters); i++ {
		r := letters[i].base
		if i+1 < len(letters) && !letters[i+1].apart {
			if s := greekPair[[2]rune{r, letters[i+1].base}]; s != "" {
				b.WriteString(s)
				i++
				continue
			}
		}
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
		case letters[i].set:
			b.WriteString(letters[i].out)
		case translit[r] != "":
			b.WriteString(translit[r])
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsNumber(r)):
			// Scripts without a table of ours (Chinese, Korean, Arabic,
			// Hebrew, Thai, ...): unidecode's spelling, ASCII letters and
			// digits only.
			for _, c := range strings.ToLower(unidecode.Unidecode(string(r))) {
				if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
					b.WriteRune(c)
				}
			}
		}
	}
	return b.String()
}

// greekPair spells the Greek letter pairs ELOT 743 spells as one: the
// diphthongs ου, αυ, ευ and γ before γ, κ, ξ, χ (Ευάγγελος → evangelos).
var greekPair = map[[2]rune]string{
	{'ο', 'υ'}: "ou", {'α', 'υ'}: "av", {'ε', 'υ'}: "ev",
	{'γ', 'γ'}: "ng", {'γ', 'κ'}: "gk", {'γ', 'ξ'}: "nx", {'γ', 'χ'}: "nch",
}

// UsernameBase builds the username for a person from the pattern, before
// uniqueness: transliterated, capped, never empty and never reserved.
func UsernameBase(pattern, first, last string) string {
	f, l := Transliterate(first), Transliterate(last)
	initial := func(s string) string {
		if s == "" {
			return ""
		}
		return s[:1]
	}
	var s string
	switch pattern {
	case "firstlast":
		s = f + l
	case "first.l":
		s = joinNonEmpty(".", f, initial(l))
	case "f.last":
		s = joinNonEmpty(".", initial(f), l)
	case "flast":
		s = initial(f) + l
	case "first_last":
		s = joinNonEmpty("_", f, l)
	default:
		s = joinNonEmpty(".", f, l)
	}
	if len(s) > MaxGeneratedUsername {
		s = strings.TrimRight(s[:MaxGeneratedUsername], "._")
	}
	if len(s) < MinUsernameLength || reservedUsernames[s] {
		s = "user" + s
	}
	return s
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// usernameTaker tells which username keys are taken in the file.
type usernameTaker interface {
	UsernamesTaken(ctx context.Context, keys []string) (map[string]bool, error)
}

// uniqueUsernames assigns free usernames: base, base2, base3, ... skipping
// those taken in the file and those already given in this batch (taken).
// It remembers per base the next suffix to try, and asks the store about
// many candidates in one read (the batch doubles while they are taken), so
// 20,000 people with the same name cost linear time, not quadratic.
type uniqueUsernames struct {
	store usernameTaker
	taken map[string]bool
	from  map[string]int // LoginKey(base) → the next suffix to try
}

func (u *uniqueUsernames) next(ctx context.Context, base string) (string, error) {
	if u.from == nil {
		u.from = map[string]int{}
	}
	bk := LoginKey(base)
	n := max(u.from[bk], 1)
	size := 1
	for {
		var candidates, keys []string
		var suffixes []int
		for ; len(keys) < size; n++ {
			candidate := base
			if n > 1 {
				candidate = base + strconv.Itoa(n)
			}
			// A name with no Latin letters has the base "user", itself
			// reserved: user2, user3, ...
			if k := LoginKey(candidate); !u.taken[k] && !reservedUsernames[candidate] {
				candidates, keys, suffixes = append(candidates, candidate), append(keys, k), append(suffixes, n)
			}
		}
		taken, err := u.store.UsernamesTaken(ctx, keys)
		if err != nil {
			return "", err
		}
		for i, k := range keys {
			if !taken[k] {
				u.taken[k] = true
				u.from[bk] = suffixes[i] + 1
				return candidates[i], nil
			}
		}
		size = min(2*size, 256)
	}
}

// mixedScripts returns why a username mixing alphabets is refused, or "".
// It is the single-script rule of Unicode TR39 (§5.1, "Highly Restrictive"),
// built on the script tables of package unicode: every letter must come from
// one script, ignoring Common and Inherited characters (digits, . _ -,
// combining marks), except that Han, Hiragana and Katakana (Japanese),
// Han and Bopomofo (Chinese) and Han and Hangul (Korean) go together, each
// also with Latin. So аd.min with a Cyrillic а is refused, while ольга,
// γιώργος, 山田.たろう and kim.민준 are not.
//
// Whole-script confusables (an all-Cyrillic name that reads like an existing
// Latin one) would need TR39 skeletons; no well-kept Go library provides
// them (golang.org/x/text has none; github.com/mtibben/confusables is one
// unmaintained 2021 snapshot), so they are not detected.
func mixedScripts(s string) string {
	var found []string
	seen := map[string]bool{}
	for _, r := range s {
		sc := scriptOf(r)
		if sc == "" || sc == "Common" || sc == "Inherited" || seen[sc] {
			continue
		}
		seen[sc] = true
		found = append(found, sc)
	}
	if len(found) <= 1 {
		return ""
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		if subset(found, allowed) {
			return ""
		}
	}
	return "A username may not mix alphabets (here " + strings.Join(found[:len(found)-1], ", ") + " and " +
		found[len(found)-1] + "): letters that look alike would let one name pass for another. Use letters from one alphabet."
}

// scriptOf names the Unicode script of r ("" if none is listed).
func scriptOf(r rune) string {
	switch {
	case r < 0x80:
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return "Latin"
		}
		return "Common"
	case unicode.Is(unicode.Latin, r):
		return "Latin"
	case unicode.Is(unicode.Inherited, r):
		return "Inherited"
	case unicode.Is(unicode.Common, r):
		return "Common"
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

func subset(a, of []string) bool {
	for _, x := range a {
		if !slices.Contains(of, x) {
			return false
		}
	}
	return true
}

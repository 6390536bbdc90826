package app

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// commonPasswords is the 10,000 most common passwords, one a line, most
// common first: the head of the "passwords" list of zxcvbn 4.4.2
// (npm zxcvbn, lib/frequency_lists.js; MIT licence, © 2012-2016 Dan Wheeler
// and Dropbox, Inc.), which was built from Mark Burnett's 10 million
// password set (Xato, released into the public domain).
//
//go:embed commonpasswords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := make(map[string]bool, 10000)
	for _, p := range strings.Split(commonPasswordsText, "\n") {
		if p != "" {
			m[p] = true
		}
	}
	return m
}()

// CheckAdminPassword checks an admin's password: the AdminPasswordPolicy,
// then the checks NIST SP 800-63B §3.1.1.2 asks for: not a common password
// (also with digits or symbols added before or after, or in leet spelling
// such as P@ssw0rd), not repetitive or sequential (Aaaaaaaaaaaa1,
// abcdefghijkl1), and not containing the username. EINVALID on "password".
func CheckAdminPassword(password, username string) error {
	if err := AdminPasswordPolicy.Check(password); err != nil {
		return err
	}
	if msg := guessable(password, username); msg != "" {
		return FieldError(EINVALID, "password", "%s", text{format: msg})
	}
	return nil
}

// guessable returns why password is easy to guess (a format of the error
// catalogues, without verbs), or "".
func guessable(password, username string) string {
	lower := strings.ToLower(password)
	if u := LoginKey(username); utf8.RuneCountInString(u) >= 3 && strings.Contains(LoginKey(password), u) {
		return textOf("The password contains the username; choose one that does not.")
	}
	for _, s := range []string{lower, unleet(lower)} {
		core := strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
		for _, c := range []string{s, core, strings.TrimRightFunc(s, notLetter), strings.TrimLeftFunc(s, notLetter)} {
			if commonPasswords[c] {
				return textOf("This password is one of the most common passwords, which attackers try first; choose another.")
			}
		}
	}
	core := strings.TrimFunc(lower, notLetterOrDigit)
	if trimmed := strings.TrimRightFunc(core, unicode.IsDigit); utf8.RuneCountInString(trimmed) >= 4 {
		core = trimmed // Aaaaaaaaaaaa1: the letters before an added digit
	}
	if distinct(lower) < 5 || repeated(core) || sequential(core) {
		return textOf("The password is a repeated or sequential pattern (like aaaa or abcd1234), which is easy to guess; choose another.")
	}
	return ""
}

func notLetter(r rune) bool        { return !unicode.IsLetter(r) }
func notLetterOrDigit(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

var leet = strings.NewReplacer("@", "a", "4", "a", "0", "o", "1", "i", "!", "i", "3", "e", "$", "s", "5", "s", "7", "t")

func unleet(s string) string {
	// Keep digits and symbols at the ends (added), unleet only the middle.
	start := strings.IndexFunc(s, unicode.IsLetter)
	end := strings.LastIndexFunc(s, unicode.IsLetter)
	if start < 0 {
		return s
	}
	_, size := utf8.DecodeRuneInString(s[end:])
	return s[:start] + leet.Replace(s[start:end+size]) + s[end+size:]
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// repeated reports whether s is one unit of at most 4 characters repeated
// (aaaa, abab, abcabc).
func repeated(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		if len(r)%unit != 0 {
			continue
		}
		same := true
		for i := unit; i < len(r) && same; i++ {
			same = r[i] == r[i-unit]
		}
		if same {
			return true
		}
	}
	return false
}

// sequential reports whether s, apart from at most 3 characters, is made
// of runs that step by one (abcdefgh, 98765432, 123456789abc).
func sequential(s string) bool {
	r := []rune(s)
	if len(r) < 4 {
		return false
	}
	off := 0
	for i := 1; i < len(r); i++ {
		if d := r[i] - r[i-1]; d != 1 && d != -1 {
			off++
		}
	}
	return off <= 3 && off*4 < len(r)
}

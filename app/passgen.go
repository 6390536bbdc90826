package app

import (
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
)

// Password styles for generated passwords.
const (
	// StyleWords: short common English words and two digits, e.g. tiger-moon-47:
	// easy for a child to read off a slip and type.
	StyleWords = "words"
	// StyleRandom: letters and digits from an alphabet without look-alikes.
	StyleRandom = "random"
)

// safeAlphabet has no look-alikes: no 0/O/o, 1/l/I/i.
const (
	safeLetters = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
	safeDigits  = "23456789"
	safeSymbols = "!#%?*"
)

// wordList are short, common, concrete words a seven-year-old can read and
// spell, each once; none contains a look-alike pair that matters when
// lower case.
var wordList = strings.Fields(`
ant ape arm bag bat bear bed bee bell bike bird boat bone book box bus cake cap car cat
cow crab cup deer desk dog doll door duck egg elf farm fig fish flag fox frog gate goat
gold hat hen hill horn horse jam jar jet kite king lamp leaf lion map milk moon moth
mouse nest net nose nut owl pan pear pen pig pin pot rain ring road rock roof rose sail
seal ship shoe sky snow sock star sun swan tent tiger toad top toy tree van vase web whale
wolf yak zoo apple bread cloud drum fork grape house juice lemon melon panda piano plum
queen robin sheep snail spoon stone train truck tulip zebra acorn beach cherry
daisy eagle feather forest garden honey island jelly kitten ladder mango orange parrot
pencil pepper pirate planet puppy rabbit river rocket salad shell spider squid sugar
table teapot tomato turtle violin wagon window yogurt basket button candle carrot castle
circle cookie dragon flower giraffe hammer helmet jacket koala lizard magnet monkey
muffin noodle ocean otter pebble pillow pizza potato pumpkin raisin ribbon saddle
skate sloth spring sunny teddy ticket tunnel waffle walrus
`)

// formulaStart names the first character of s when a spreadsheet would
// read a cell starting with it as a formula (= + - @ TAB CR LF), else "".
// Generated passwords never start so, and a given password that does is
// refused: the results file shows passwords exactly as they are.
func formulaStart(s string) string {
	if s == "" {
		return ""
	}
	switch s[0] {
	case '=', '+', '-', '@':
		return fmt.Sprintf("%q", s[:1])
	case '\t':
		return "a TAB"
	case '\r', '\n':
		return "a line break"
	}
	return ""
}

// GeneratePassword returns a password of the style that meets policy, from
// the random source r (crypto/rand in production). It never starts with a
// character a spreadsheet reads as a formula (= + - @).
func GeneratePassword(r io.Reader, style string, policy PasswordPolicy) (string, error) {
	for {
		var pw string
		var err error
		if style == StyleRandom {
			pw, err = randomPassword(r, policy)
		} else {
			pw, err = wordsPassword(r, policy)
		}
		if err != nil {
			return "", err
		}
		if policy.Check(pw) == nil && formulaStart(pw) == "" {
			return pw, nil
		}
	}
}

func wordsPassword(r io.Reader, policy PasswordPolicy) (string, error) {
	var parts []string
	length := 0
	for len(parts) < 2 || length+3 < policy.MinLength {
		w, err := pick(r, len(wordList))
		if err != nil {
			return "", err
		}
		parts = append(parts, wordList[w])
		length += len(wordList[w]) + 1
	}
	d, err := pick(r, 90)
	if err != nil {
		return "", err
	}
	parts = append(parts, itoa2(10+d))
	pw := strings.Join(parts, "-")
	if policy.RequireSymbol && !strings.ContainsAny(pw, "-") {
		pw += "!"
	}
	return pw, nil
}

func itoa2(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

func randomPassword(r io.Reader, policy PasswordPolicy) (string, error) {
	n := max(policy.MinLength, 10)
	alphabet := safeLetters + safeDigits
	if policy.RequireSymbol {
		alphabet += safeSymbols
	}
	b := make([]byte, n)
	for i := range b {
		set := alphabet
		if i == 0 {
			set = safeLetters // a letter first: never a formula trigger
		}
		k, err := pick(r, len(set))
		if err != nil {
			return "", err
		}
		b[i] = set[k]
	}
	return string(b), nil
}

// pick returns a uniform random integer in [0, n).
func pick(r io.Reader, n int) (int, error) {
	if r == nil {
		r = rand.Reader
	}
	v, err := rand.Int(r, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(v.Int64()), nil
}

// PasswordBits estimates the entropy in bits of a password generated with
// the style and policy, for showing strength in the UI.
func PasswordBits(style string, policy PasswordPolicy) float64 {
	if style == StyleRandom {
		n := max(policy.MinLength, 10)
		size := len(safeLetters + safeDigits)
		if policy.RequireSymbol {
			size += len(safeSymbols)
		}
		return math.Log2(float64(len(safeLetters))) + float64(n-1)*math.Log2(float64(size))
	}
	words, length, avg := 0, 0, 0
	for _, w := range wordList {
		avg += len(w)
	}
	avg /= len(wordList)
	for words < 2 || length+3 < policy.MinLength {
		words++
		length += avg + 1
	}
	return float64(words)*math.Log2(float64(len(wordList))) + math.Log2(90)
}

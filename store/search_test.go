package store

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The search rule of search.go on the cases it names.
func TestSearchRule(t *testing.T) {
	for _, c := range []struct {
		text, q string
		want    bool
	}{
		{"Buy milk", "MILK", true},
		{"Buy milk", "milk ", false},
		{"Kelvin \u212a", "k", true}, // the Kelvin sign folds with k
		{"kelvin", "\u212a", true},
		{"ſome", "SOME", true}, // long s
		{"ΣΊΣΥΦΟΣ", "σίσυφος", true},
		{"σίσυφος", "ΣΊΣΥΦΟΣ", true},
		{"Straße", "STRASSE", false}, // no full folding
		{"Straße", "STRAẞE", true},   // ẞ is ß's capital
		{"ﬁle", "file", false},
		{"İstanbul", "istanbul", false}, // no locale
		{"ıi", "II", false},
		{"cafe\u0301", "café", false}, // no normalisation
		{"café", "CAFÉ", true},
		{"ǅemal", "ǆ", true}, // title case
		{"𐐀", "𐐨", true},     // four bytes
		{"a.b*c (x) [y]", ".B*C", true},
		{"abc", ".", false}, // metacharacters are literal
		{"a\\b", "\\", true},
	} {
		re := regexp.MustCompile(searchPattern(c.q))
		if got := newTextSearch(c.q).in(c.text); got != c.want {
			t.Errorf("textSearch(%+q).in(%+q) = %t; want %t", c.q, c.text, got, c.want)
		}
		if got := re.MatchString(c.text); got != c.want {
			t.Errorf("pattern %+q of %+q matches %+q: %t; want %t", re, c.q, c.text, got, c.want)
		}
	}
}

// The pattern the query sends (no option), Go's (?i) (FerretDB's $regex
// with "i") and the Go search agree, over every character that has
// another case and a sample of the rest.
func TestSearchPatternAgreesWithFold(t *testing.T) {
	var cased []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.SimpleFold(r) != r {
			cased = append(cased, r)
		}
	}
	if len(cased) < 2000 {
		t.Fatalf("%d runes with another case; want the whole table", len(cased))
	}
	rnd := rand.New(rand.NewPCG(1, 17))
	pick := func() rune {
		if rnd.IntN(4) == 0 {
			return rune(rnd.IntN(0x3000))
		}
		r := cased[rnd.IntN(len(cased))]
		for range rnd.IntN(3) {
			r = unicode.SimpleFold(r)
		}
		return r
	}
	for range 20_000 {
		var q, text strings.Builder
		for range 1 + rnd.IntN(2) {
			q.WriteRune(pick())
		}
		for range rnd.IntN(4) {
			text.WriteRune(pick())
		}
		// Half of the texts hold q in some case.
		if rnd.IntN(2) == 0 {
			for _, r := range q.String() {
				for range rnd.IntN(3) {
					r = unicode.SimpleFold(r)
				}
				text.WriteRune(r)
			}
		}
		ours := newTextSearch(q.String()).in(text.String())
		pattern := regexp.MustCompile(searchPattern(q.String())).MatchString(text.String())
		option := regexp.MustCompile("(?i)" + regexp.QuoteMeta(q.String())).MatchString(text.String())
		if ours != pattern || ours != option {
			t.Fatalf("q %+q in %+q: search %t, pattern %+q %t, (?i) %t", q.String(), text.String(), ours, searchPattern(q.String()), pattern, option)
		}
	}
	// Every orbit member matches every other.
	for _, r := range cased {
		re := regexp.MustCompile(searchPattern(string(r)))
		for _, o := range foldOrbit(r) {
			if !re.MatchString(string(o)) || !newTextSearch(string(r)).in(string(o)) {
				t.Fatalf("%U does not match %U of its orbit", r, o)
			}
		}
	}
}

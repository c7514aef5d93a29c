package store

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The todo search (GET /todos?q=) is a case-insensitive substring of the
// title or the notes, and "case-insensitive" is defined here, once, for
// both places that answer it: the database query (todoListQuery: MongoDB,
// FerretDB) and the embedded cache's list in Go (userTodos.list).
//
// The rule is Unicode simple case folding, as Go's unicode.SimpleFold
// defines it (CaseFolding.txt, status C and S): a character of q matches
// itself and every character in its fold orbit, and nothing else. So K
// matches k and the Kelvin sign K, s matches S and ſ, σ matches Σ and ς;
// but there is no full folding (ß does not match ss, ﬁ not fi), no
// normalisation (é precomposed does not match e followed by a combining
// acute), and no locale (the Turkish İ and ı match only themselves).
//
// Why spell it out instead of sending the regex option "i": FerretDB v1
// matches $regex with Go's regexp, whose (?i) is this very rule, while
// MongoDB uses PCRE2, whose caseless matching follows the Unicode tables
// of its own version and its own "other case" data; the two could differ
// on a character that Unicode changed between them. The query therefore
// carries the rule itself: each character of q with more than one case
// becomes a bracket of its fold orbit ([kKK]), the rest is quoted, and no
// option is set, so both servers do plain code-point matching of the same
// pattern. The Go side folds both texts to one representative per orbit
// (foldRune) and looks for a substring, which is the same relation.

// searchPattern is q as a regular expression that matches q's text under
// the rule above, with no options.
func searchPattern(q string) string {
	var b strings.Builder
	for _, r := range q {
		orbit := foldOrbit(r)
		if len(orbit) == 1 {
			b.WriteString(regexp.QuoteMeta(string(r)))
			continue
		}
		b.WriteByte('[')
		for _, o := range orbit {
			if strings.ContainsRune(`\]^-[`, o) {
				b.WriteByte('\\') // no orbit holds one; kept literal all the same
			}
			b.WriteRune(o)
		}
		b.WriteByte(']')
	}
	return b.String()
}

// foldOrbit returns r and every rune that simple case folding makes
// equivalent to it, in ascending order.
func foldOrbit(r rune) []rune {
	orbit := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		orbit = append(orbit, f)
	}
	slices.Sort(orbit)
	return orbit
}

// foldRune is the representative of r's fold orbit: its smallest rune (for
// ASCII letters, the upper case).
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// foldAppend appends s with every rune replaced by its representative. A
// byte that is not UTF-8 becomes U+FFFD, as a regular expression reads it.
func foldAppend(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// textSearch matches texts against one q under the rule above. It reuses
// a buffer: one per list, not shared between goroutines.
type textSearch struct {
	needle, buf []byte
}

func newTextSearch(q string) *textSearch {
	return &textSearch{needle: foldAppend(nil, q)}
}

// in reports whether s contains q.
func (t *textSearch) in(s string) bool {
	if len(s) < len(t.needle) {
		return false // folding never lengthens a text (a representative is the least of its orbit)
	}
	t.buf = foldAppend(t.buf[:0], s)
	return bytes.Contains(t.buf, t.needle)
}

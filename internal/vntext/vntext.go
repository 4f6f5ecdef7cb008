// Package vntext holds the Vietnamese text rules the system relies on:
// folding away diacritics and case for search, and the collation used to
// sort names the way Vietnamese lists are sorted.
package vntext

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Fold lowercases s, removes Vietnamese (and other Latin) diacritics, turns
// đ into d and collapses runs of white space and punctuation into one space:
// "  Phường BA ĐÌNH " → "phuong ba dinh".
//
// It is on the hot path of every name search, so precomposed letters are
// folded through a table; only other characters go through Unicode
// decomposition.
func Fold(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	space := true // drop leading separators
	emit := func(r rune) {
		switch {
		case unicode.Is(unicode.Mn, r):
			return // combining mark: a tone or a vowel hat
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
		case r < 0x80 && r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			r = unicode.ToLower(r)
		default:
			if !space {
				sb.WriteByte(' ')
				space = true
			}
			return
		}
		sb.WriteRune(r)
		space = false
	}
	for _, r := range s {
		if r < 0x80 {
			emit(r)
			continue
		}
		if b, ok := foldTable[r]; ok {
			emit(b)
			continue
		}
		for _, d := range norm.NFD.String(string(r)) {
			emit(d)
		}
	}
	return strings.TrimRight(sb.String(), " ")
}

// foldTable maps every precomposed Latin letter with diacritics that
// Vietnamese (and the Latin-1 range) uses to its base letter.
var foldTable = func() map[rune]rune {
	m := map[rune]rune{}
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			d := []rune(norm.NFD.String(string(r)))
			if len(d) > 1 && d[0] < 0x80 && unicode.IsLetter(d[0]) {
				m[r] = d[0]
			}
		}
	}
	add(0x00C0, 0x024F) // Latin-1 Supplement, Latin Extended-A and -B
	add(0x1E00, 0x1EFF) // Latin Extended Additional: ạ ả ấ … ỹ
	return m
}()

// Words splits the folded form of s into words.
func Words(s string) []string { return strings.Fields(Fold(s)) }

// Clean trims s, collapses inner white space to single spaces and puts it in
// Unicode NFC form, which is how names are stored.
func Clean(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

var (
	collMu sync.Mutex
	coll   = collate.New(language.Vietnamese)
	buf    collate.Buffer
)

// SortKey returns bytes that order strings in Vietnamese dictionary order
// (a ă â b c d đ e ê …, tones after letters) when compared bytewise.
func SortKey(s string) []byte {
	collMu.Lock()
	defer collMu.Unlock()
	k := coll.KeyFromString(&buf, s)
	out := make([]byte, len(k))
	copy(out, k)
	buf.Reset()
	return out
}

// NameSortKey orders personal names as Vietnamese lists do: by the given
// name (the last word) first, then by the whole name.
func NameSortKey(name string) []byte {
	name = Clean(name)
	given := name
	if i := strings.LastIndexByte(name, ' '); i >= 0 {
		given = name[i+1:]
	}
	return SortKey(given + " " + name)
}

// Compare compares a and b in Vietnamese order.
func Compare(a, b string) int {
	collMu.Lock()
	defer collMu.Unlock()
	return coll.CompareString(a, b)
}

package match

import (
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"treem/internal/vntext"
)

// Names are indexed by syllable. Every distinct lower-case syllable as
// written ("nguyễn", "nguyen", "nguyên") gets an accented id; every
// distinct folded syllable ("nguyen") a folded id. Vietnamese names use a
// few thousand folded syllables, so scanning the whole folded vocabulary
// for typos is cheap.

// maxWords is how many words of a query are used; longer queries are cut.
const maxWords = 8

// accSyl is an accented (lower-case, NFC) syllable.
type accSyl struct {
	fold uint32   // its folded syllable
	post [][]post // postings, split into parts by province (see postParts)
	text string   // as indexed
	n    uint32   // records holding it
}

// foldSyl is a folded syllable and what the index knows about it.
type foldSyl struct {
	text  string
	mask  uint32   // which letters occur in it, for a quick typo filter
	accs  []uint32 // accented forms
	n     uint32   // records holding it
	first uint32   // records with it as the first word (usually the family name)
	mid   uint32   // … as a middle word
	last  uint32   // … as the last word (usually the given name)
}

type vocab struct {
	accIDs  map[string]uint32
	acc     []accSyl // index 0 unused: id 0 means "no word"
	accFold []uint32 // acc id → folded id, compact for the hot loops
	foldIDs map[string]uint32
	fold    []foldSyl
	phonIDs map[string]uint32
	phon    [][]uint32 // phonetic key → folded ids
}

func newVocab() vocab {
	return vocab{
		accIDs:  map[string]uint32{},
		acc:     make([]accSyl, 1, 4096),
		accFold: make([]uint32, 1, 4096),
		foldIDs: map[string]uint32{},
		fold:    make([]foldSyl, 0, 4096),
		phonIDs: map[string]uint32{},
	}
}

// accID returns the id of an accented syllable, adding it if new.
func (v *vocab) accID(b []byte) uint32 {
	if id, ok := v.accIDs[string(b)]; ok {
		return id
	}
	text := string(b)
	id := uint32(len(v.acc))
	f := vntext.Fold(text)
	f = strings.ReplaceAll(f, " ", "")
	fid := v.foldID(f)
	v.acc = append(v.acc, accSyl{fold: fid, text: text})
	v.accFold = append(v.accFold, fid)
	v.accIDs[text] = id
	fs := &v.fold[v.acc[id].fold]
	fs.accs = append(fs.accs, id)
	return id
}

func (v *vocab) foldID(f string) uint32 {
	if id, ok := v.foldIDs[f]; ok {
		return id
	}
	id := uint32(len(v.fold))
	v.fold = append(v.fold, foldSyl{text: f, mask: letterMask(f)})
	v.foldIDs[f] = id
	a, b := phonetic(f)
	for _, key := range [2]string{a, b} {
		pid, ok := v.phonIDs[key]
		if !ok {
			pid = uint32(len(v.phon))
			v.phonIDs[key] = pid
			v.phon = append(v.phon, nil)
		}
		v.phon[pid] = append(v.phon[pid], id)
	}
	return id
}

// token is one word of a query: as typed (lower case) and folded.
type token struct {
	acc, fold string
}

// splitName cuts a name into lower-case words the way the index does:
// letters and digits make words, anything else separates them (so "H'Hen"
// is two words, as vntext.Fold has it). Text not in NFC is normalised
// first.
func splitName(s string, fn func(word []byte)) {
	if !isNFC(s) {
		s = norm.NFC.String(s)
	}
	var buf [64]byte
	w := buf[:0]
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				w = append(w, byte(r))
				continue
			case r >= 'A' && r <= 'Z':
				w = append(w, byte(r+'a'-'A'))
				continue
			}
		case r < rune(len(lowerLetter)):
			if l := lowerLetter[r]; l != 0 {
				w = utf8.AppendRune(w, l)
				continue
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			w = utf8.AppendRune(w, unicode.ToLower(r))
			continue
		}
		if len(w) > 0 {
			fn(w)
			w = w[:0]
		}
	}
	if len(w) > 0 {
		fn(w)
	}
}

// lowerLetter maps the letters, digits and combining marks below U+2000
// (where Vietnamese lives: Latin-1, Latin Extended, the combining marks and
// Latin Extended Additional) to their lower case, and everything else to 0.
var lowerLetter = func() []rune {
	t := make([]rune, 0x2000)
	for r := rune(0x80); r < 0x2000; r++ {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			t[r] = unicode.ToLower(r)
		}
	}
	return t
}()

// isNFC is a fast check that s needs no normalisation: ASCII and the
// precomposed Vietnamese letters are NFC; anything with a combining mark
// goes through the full check.
func isNFC(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0xCC && c <= 0xCD { // U+0300–U+036F combining marks
			return norm.NFC.IsNormalString(s)
		}
	}
	return true
}

func tokens(s string) []token {
	var out []token
	splitName(s, func(w []byte) {
		acc := string(w)
		out = append(out, token{acc: acc, fold: strings.ReplaceAll(vntext.Fold(acc), " ", "")})
	})
	return out
}

func letterMask(s string) uint32 {
	var m uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			m |= 1 << (c - 'a')
		case c >= '0' && c <= '9':
			m |= 1 << 26
		default:
			m |= 1 << 27
		}
	}
	return m
}

// phonetic maps a folded syllable to two keys shared by spellings that
// sound alike or are commonly confused when a name is heard rather than
// read: one with the initial consonant normalised (d/gi/r, all /z/ in the
// north; tr/ch; s/x; k/c/q; ph/f; gh/g; ngh/ng) and one with the final
// normalised (y/i; nh/n/ng, merged in the south; c/t/ch). Two syllables
// sound alike when they share either key: one confusion at a time, so Trần
// is near Chần and Trang, but not Chanh.
func phonetic(f string) (initial, final string) {
	if f == "" {
		return "", ""
	}
	head, s := "", f
	switch {
	case strings.HasPrefix(s, "ngh"):
		head, s = "ng", s[3:]
	case strings.HasPrefix(s, "gh"):
		head, s = "g", s[2:]
	case strings.HasPrefix(s, "ph"):
		head, s = "f", s[2:]
	case strings.HasPrefix(s, "tr"):
		head, s = "ch", s[2:]
	case strings.HasPrefix(s, "gi") && len(s) > 2:
		head, s = "z", s[2:]
	case s[0] == 'd' || s[0] == 'r':
		head, s = "z", s[1:]
	case s[0] == 's':
		head, s = "x", s[1:]
	case (s[0] == 'k' || s[0] == 'q') && !strings.HasPrefix(s, "kh"):
		head, s = "c", s[1:]
	}
	tail := f
	switch {
	case strings.HasSuffix(f, "nh") || strings.HasSuffix(f, "ng"):
		tail = f[:len(f)-2] + "n"
	case strings.HasSuffix(f, "ch"):
		tail = f[:len(f)-2] + "t"
	case strings.HasSuffix(f, "c"):
		tail = f[:len(f)-1] + "t"
	case strings.HasSuffix(f, "y"):
		tail = f[:len(f)-1] + "i"
	}
	return "^" + head + s, "$" + tail
}

// Similarity levels of a query word and an indexed syllable, as the
// per-query table stores them (0 = no match).
const (
	simExact    = 100 // same folded syllable
	simPhonetic = 85  // same phonetic key
	simTypo1    = 75  // one edit (insert, delete, substitute, swap neighbours)
	simTypo2    = 55  // two edits
	simPrefix   = 60  // the last query word is the start of the syllable (typing in progress)
)

// maxEdits is how many typos a word of this length may carry: none for one
// or two letters (every short syllable is one edit from dozens of others),
// one for three or four, two from five letters on.
func maxEdits(n int) int {
	switch {
	case n <= 2:
		return 0
	case n <= 4:
		return 1
	}
	return 2
}

// editDistance is the optimal-string-alignment distance of a and b (edits:
// insert, delete, substitute, transpose neighbours), or max+1 if it exceeds
// max.
func editDistance(a, b string, max int) int {
	la, lb := len(a), len(b)
	if d := la - lb; d > max || -d > max {
		return max + 1
	}
	if la == 0 || lb == 0 {
		return la + lb
	}
	var rows [3][32]uint8
	if lb >= 31 {
		return max + 1
	}
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= lb; j++ {
		prev[j] = uint8(j)
	}
	for i := 1; i <= la; i++ {
		cur[0] = uint8(i)
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := uint8(1)
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if int(rowMin) > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return int(prev[lb])
}

// expansion is a folded syllable a query word may stand for.
type expansion struct {
	fold uint32
	sim  uint8
}

// expand finds the folded syllables a query word may stand for: itself,
// its phonetic class, those within its edit budget and, for the last word
// of a query still being typed, those it begins.
func (v *vocab) expand(f string, prefix bool) []expansion {
	var out []expansion
	seen := map[uint32]bool{}
	add := func(id uint32, sim uint8) {
		if !seen[id] {
			seen[id] = true
			out = append(out, expansion{id, sim})
		}
	}
	id, known := v.foldIDs[f]
	if known {
		add(id, simExact)
	}
	a, b := phonetic(f)
	for _, key := range [2]string{a, b} {
		if pid, ok := v.phonIDs[key]; ok {
			for _, fid := range v.phon[pid] {
				add(fid, simPhonetic)
			}
		}
	}
	edits := maxEdits(len(f))
	if !known && edits == 0 && len(f) == 2 {
		edits = 1 // an unknown two-letter word is surely a slip
	}
	prefix = prefix && !known && len(f) >= 2
	if edits > 0 || prefix {
		m := letterMask(f)
		for fid := range v.fold {
			fs := &v.fold[fid]
			if edits > 0 && bits.OnesCount32(m^fs.mask) <= 2*edits {
				switch d := editDistance(f, fs.text, edits); {
				case d == 1:
					add(uint32(fid), simTypo1)
					continue
				case d == 2 && edits >= 2:
					add(uint32(fid), simTypo2)
					continue
				}
			}
			if prefix && strings.HasPrefix(fs.text, f) {
				add(uint32(fid), simPrefix)
			}
		}
	}
	// Two slips in one word are far rarer than one: when one edit reaches
	// a real syllable, the two-edit ones are dropped.
	if slices.ContainsFunc(out, func(e expansion) bool { return e.sim == simTypo1 }) {
		out = slices.DeleteFunc(out, func(e expansion) bool { return e.sim == simTypo2 })
	}
	return out
}

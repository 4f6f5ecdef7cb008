package geo

import (
	"math/bits"
	"slices"
	"strings"

	"treem/internal/vntext"
)

// Query asks Search for units.
type Query struct {
	Level    Level  // "" for both levels
	Province string // only this province and its communes; "" for the whole country
	// Text is matched ignoring case, diacritics and word order: each word must
	// begin some word of the unit's name, full name or English name ("dinh ba"
	// finds Phường Ba Đình). Digits alone match codes by prefix. "" lists all.
	Text  string
	Limit int // at most this many hits: default 20, at most 100
}

// Search limits.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// name is one folded name of a unit ("phuong ba dinh" of 00004), for finding
// the names that are, or start with, a query.
type name struct {
	text string
	unit int32
}

// index builds what Search reads from the units' folded names (u.names, in
// unit order when called): the sorted vocabulary with, for each word, the
// units that have it, and the names sorted. A query then finds its units by
// binary searches and walks over short lists, never by a pass over every
// unit; matches are kept as bit sets over the units, whose order is the order
// results are listed in.
func (u *Units) index() {
	id := make(map[string]int32, 8192)
	var words []string                             // by id, in order of first use
	unitWords := make([]int32, 0, 12*len(u.units)) // each unit's distinct word ids, unit after unit
	ends := make([]int, len(u.units)+1)
	start, cur := 0, int32(-1)
	for _, n := range u.names {
		if n.unit != cur {
			start, cur = len(unitWords), n.unit
		}
		for w := range strings.FieldsSeq(n.text) {
			k, ok := id[w]
			if !ok {
				k = int32(len(words))
				id[w] = k
				words = append(words, w)
			}
			if !slices.Contains(unitWords[start:], k) {
				unitWords = append(unitWords, k)
			}
		}
		ends[n.unit+1] = len(unitWords)
	}
	slices.SortFunc(u.names, func(a, b name) int { return strings.Compare(a.text, b.text) })

	order := make([]int32, len(words)) // ids by word
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(words[a], words[b]) })
	pos := make([]int32, len(words)) // id → place in vocab
	u.vocab = make([]string, len(words))
	for p, k := range order {
		u.vocab[p], pos[k] = words[k], int32(p)
	}
	u.postStart = make([]int32, len(words)+1)
	for _, k := range unitWords {
		u.postStart[pos[k]+1]++
	}
	for w := 1; w < len(u.postStart); w++ {
		u.postStart[w] += u.postStart[w-1]
	}
	u.post = make([]int32, len(unitWords))
	fill := slices.Clone(u.postStart[:len(words)])
	for i := range u.units {
		for _, k := range unitWords[ends[i]:ends[i+1]] {
			u.post[fill[pos[k]]] = int32(i)
			fill[pos[k]]++
		}
	}

	u.provBits = make([]uint64, words64(len(u.units)))
	for _, i := range u.prov {
		set(u.provBits, i)
	}
}

// Search returns the units that match q, best first, at most q.Limit of them,
// and how many matched in all. Exact name matches come first, then names that
// start with the text, then the rest; within each, units keep the order of
// province, then code (a province before its communes). For a code, the exact
// code comes first, then codes that start with it.
func (u *Units) Search(q Query) ([]Unit, int) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	if q.Level != "" && q.Level != LevelProvince && q.Level != LevelCommune {
		return []Unit{}, 0
	}
	lo, hi := int32(0), int32(len(u.units))
	if q.Province != "" {
		s, ok := u.span[q.Province]
		if !ok {
			return []Unit{}, 0
		}
		lo, hi = s.lo, s.hi
	}

	// match: the units that match; exact and prefix: those ranked first and
	// second (exact within prefix). The rest of match ranks third.
	n := words64(len(u.units))
	buf := make([]uint64, 4*n)
	match, exact, prefix, scratch := buf[:n], buf[n:2*n], buf[2*n:3*n], buf[3*n:]
	text := vntext.Fold(q.Text)
	switch {
	case text == "":
		for i := range match {
			match[i] = ^uint64(0)
		}
	case isDigits(text):
		u.matchCode(match, exact, u.prov, text)
		u.matchCode(match, exact, u.communes, text)
		copy(prefix, match)
	default:
		u.matchWords(match, scratch, text)
		for i := u.firstName(text); i < len(u.names) && strings.HasPrefix(u.names[i].text, text); i++ {
			set(prefix, u.names[i].unit)
			if u.names[i].text == text {
				set(exact, u.names[i].unit)
			}
		}
	}

	keep(match, lo, hi)
	switch q.Level {
	case LevelProvince:
		and(match, u.provBits)
	case LevelCommune:
		andNot(match, u.provBits)
	}
	total := 0
	for _, x := range match {
		total += bits.OnesCount64(x)
	}

	out := make([]Unit, 0, min(total, limit))
	for rank := 0; rank < 3 && len(out) < limit; rank++ {
		for j, x := range match {
			switch rank {
			case 0:
				x &= exact[j]
			case 1:
				x &= prefix[j] &^ exact[j]
			case 2:
				x &^= prefix[j] | exact[j]
			}
			for ; x != 0 && len(out) < limit; x &= x - 1 {
				out = append(out, u.units[j<<6+bits.TrailingZeros64(x)])
			}
		}
	}
	return out, total
}

// matchWords sets in match the units that have, for every word of text, a
// word beginning with it: the union of the lists of the vocabulary words each
// query word begins, intersected over the query words.
func (u *Units) matchWords(match, scratch []uint64, text string) {
	for k, q := range strings.Fields(text) {
		dst := match
		if k > 0 {
			clear(scratch)
			dst = scratch
		}
		for v, _ := slices.BinarySearch(u.vocab, q); v < len(u.vocab) && strings.HasPrefix(u.vocab[v], q); v++ {
			for _, i := range u.post[u.postStart[v]:u.postStart[v+1]] {
				set(dst, i)
			}
		}
		if k > 0 {
			and(match, scratch)
		}
	}
}

// matchCode sets in match the units of byCode (indexes sorted by code) whose
// code starts with prefix, and in exact the one whose code is prefix.
func (u *Units) matchCode(match, exact []uint64, byCode []int32, prefix string) {
	j, _ := slices.BinarySearchFunc(byCode, prefix, func(i int32, p string) int { return strings.Compare(u.units[i].Code, p) })
	for ; j < len(byCode) && strings.HasPrefix(u.units[byCode[j]].Code, prefix); j++ {
		set(match, byCode[j])
		if u.units[byCode[j]].Code == prefix {
			set(exact, byCode[j])
		}
	}
}

// firstName is the place of the first name not sorting before text.
func (u *Units) firstName(text string) int {
	i, _ := slices.BinarySearchFunc(u.names, text, func(n name, t string) int { return strings.Compare(n.text, t) })
	return i
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Bit sets over the units, one bit per index into Units.units.

func words64(n int) int { return (n + 63) / 64 }

func set(b []uint64, i int32) { b[i>>6] |= 1 << (i & 63) }

func and(b, c []uint64) {
	for j := range b {
		b[j] &= c[j]
	}
}

func andNot(b, c []uint64) {
	for j := range b {
		b[j] &^= c[j]
	}
}

// keep clears the bits outside lo..hi-1, and any past the last unit.
func keep(b []uint64, lo, hi int32) {
	for j := range b {
		first, last := int32(j)<<6, int32(j)<<6+63
		switch {
		case last < lo || first >= hi:
			b[j] = 0
		default:
			if first < lo {
				b[j] &= ^uint64(0) << (lo - first)
			}
			if last >= hi {
				b[j] &= ^uint64(0) >> (last - hi + 1)
			}
		}
	}
}

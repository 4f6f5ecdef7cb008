package match

import (
	"encoding/binary"
	"slices"
	"sync"
)

// simAccent marks a query word matching a syllable with the same
// diacritics, above a folded match.
const simAccent = 101

// qword is one word of a query with the syllables it may stand for.
type qword struct {
	tok      token
	accID    uint32 // the word as typed, if the index knows it; 0 otherwise
	foldID   int64  // its folded syllable, or -1
	exps     []expansion
	optional bool // a middle-name-like word a match may lack (Search)
	slip     bool // probably a typo: unknown, or far rarer than a word one or two edits away
	size     int  // postings of all its expansions, in the query's scope
}

// matcher holds a query's words and, for every accented syllable they may
// stand for, how well it matches each word: slot maps an accented id to a
// row of sims. Matchers are pooled; slot is cleared after use.
type matcher struct {
	words   []qword
	slot    []uint16
	sims    [][maxWords]uint8
	rank    []uint16 // per row: 1 + the order in which Search reads that syllable's postings as the pivot, or 0
	touched []uint32
}

var matchers = sync.Pool{New: func() any { return &matcher{} }}

// newMatcher prepares the words of a query; prefixLast lets the last word
// stand for the syllables it begins (a name still being typed). With
// strict, a word that is a real name (not a slip) stands only for itself,
// not for its typo or sound-alike neighbours: "Trần" should not find Trang,
// nor "Tuyến" every Nguyễn.
func (ix *Index) newMatcher(toks []token, prefixLast, strict bool) *matcher {
	m := matchers.Get().(*matcher)
	if len(m.slot) < len(ix.v.acc) {
		m.slot = make([]uint16, len(ix.v.acc)+len(ix.v.acc)/4)
	}
	m.words = m.words[:0]
	m.sims = append(m.sims[:0], [maxWords]uint8{}) // row 0: no match
	m.rank = append(m.rank[:0], 0)
	if len(toks) > maxWords {
		toks = toks[:maxWords]
	}
	for i, t := range toks {
		w := qword{tok: t, foldID: -1}
		if id, ok := ix.v.accIDs[t.acc]; ok {
			w.accID = id
		}
		if id, ok := ix.v.foldIDs[t.fold]; ok {
			w.foldID = int64(id)
		}
		w.exps = ix.v.expand(t.fold, prefixLast && i == len(toks)-1)
		w.slip = ix.v.isSlip(w.foldID, w.exps)
		if strict && !w.slip {
			w.exps = slices.DeleteFunc(w.exps, func(e expansion) bool { return e.sim < simExact && e.sim != simPrefix })
		}
		m.words = append(m.words, w)
		for _, e := range w.exps {
			for _, a := range ix.v.fold[e.fold].accs {
				sim := e.sim
				if a == w.accID {
					sim = simAccent
				}
				row := m.row(a)
				if m.sims[row][i] < sim {
					m.sims[row][i] = sim
				}
			}
		}
	}
	return m
}

// row returns the sims row of accented syllable a, making one if needed.
func (m *matcher) row(a uint32) uint16 {
	if r := m.slot[a]; r != 0 {
		return r
	}
	if len(m.sims) >= 1<<16-1 {
		return 0 // the row 0 stays all zero: such a word simply won't match
	}
	r := uint16(len(m.sims))
	m.sims = append(m.sims, [maxWords]uint8{})
	m.rank = append(m.rank, 0)
	m.slot[a] = r
	m.touched = append(m.touched, a)
	return r
}

func (m *matcher) release() {
	for _, a := range m.touched {
		m.slot[a] = 0
	}
	m.touched = m.touched[:0]
	if len(m.sims) > 1<<12 {
		m.sims, m.rank = nil, nil
	}
	matchers.Put(m)
}

// simsOf returns the row for accented syllable t (row 0 for none).
func (m *matcher) simsOf(t uint32) *[maxWords]uint8 {
	if int(t) >= len(m.slot) {
		return &m.sims[0]
	}
	return &m.sims[m.slot[t]]
}

// bestPost returns, for each query word, its best similarity among the
// first four words of a posting entry, and how many words the entry has
// there.
func (m *matcher) bestPost(e *post) (best [maxWords]uint8, n int) {
	// The eight sims of a row are one 64-bit word; similarities stay below
	// 128, so a bytewise maximum takes a few operations (SWAR).
	var acc uint64
	for k := range 4 {
		t := e.toks[k]
		if t == 0 {
			break
		}
		n++
		if int(t) >= len(m.slot) {
			continue
		}
		if r := m.slot[t]; r != 0 {
			acc = maxBytes(acc, binary.LittleEndian.Uint64(m.sims[r][:]))
		}
	}
	binary.LittleEndian.PutUint64(best[:], acc)
	return best, n
}

// maxBytes is the bytewise maximum of a and b, whose bytes are all < 128.
func maxBytes(a, b uint64) uint64 {
	const high = 0x8080808080808080
	ge := ((a | high) - b) & high // high bit of each byte: a ≥ b
	mask := (ge >> 7) * 0xFF
	return a&mask | b&^mask
}

// bestWords is bestPost over a full word list.
func (m *matcher) bestWords(w []uint32) (best [maxWords]uint8) {
	nw := len(m.words)
	for _, t := range w {
		s := m.simsOf(t)
		for i := range nw {
			best[i] = max(best[i], s[i])
		}
	}
	return best
}

// isSlip tells whether a folded word looks like a typo: not a syllable of
// any record, or one at least two hundred times rarer than a syllable one
// edit away ("nguyn" beside "nguyen"; Nguyệt, 150 times rarer than Nguyễn,
// is a name).
func (v *vocab) isSlip(fold int64, exps []expansion) bool {
	if fold < 0 || v.fold[fold].n == 0 {
		return true
	}
	n := v.fold[fold].n
	for _, e := range exps {
		if e.sim == simTypo1 && v.fold[e.fold].n > 200*n {
			return true
		}
	}
	return false
}

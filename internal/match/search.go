package match

import (
	"container/heap"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strings"

	"treem/internal/dates"
	"treem/internal/ident"
)

// Query asks Search for children.
type Query struct {
	// Text is what a user typed: a name in any order, case or spelling, with
	// or without diacritics, or a personal ID number, or a phone number.
	Text   string
	Scope  Scope  // only records inside
	Groups uint32 // if non-zero: records having any of these groups
	// BornFrom and BornTo are an optional age band (inclusive) on the
	// record's date of birth; a partial date of birth is in the band when
	// any of its days is. Records with no date of birth are left out when a
	// band is given.
	BornFrom, BornTo dates.Date
	Limit            int // default 20, max 1000
}

// Hit is one search result.
type Hit struct {
	ID    int64
	Score float64
}

// Search limits.
const (
	DefaultLimit = 20
	MaxLimit     = 1000
)

// Search finds records whose name matches q.Text (or whose personal ID
// number or phone is q.Text), best first, and counts all of them.
//
// A record matches a name when every word of the query matches one of its
// words: ignoring case and diacritics, in any order, allowing one typo in a
// word of three or four letters and two from five letters on, spellings
// that sound alike (d/gi/r, tr/ch, s/x, final n/ng/nh, y/i …) and, for the
// last word, the start of a word. In a query of three or more words one
// inner word (a middle name, in the usual order) may be missing from the
// record — not replaced by another — unless it is the query's rarest word. Words of the record the query does not name are
// allowed, so "Nguyễn An" finds "Nguyễn Văn An".
//
// One limit keeps nationwide searches fast: when the query's rarest word
// would, with its typo and sound-alike neighbours, read more than
// strictBudget postings, only words that look like slips (a word no record
// has, or one far rarer than a word one edit away: "Nguyễb") keep their
// neighbours, and a word that is itself a name matches only itself — a
// nationwide "Trần" then does not find Trang. Within a commune or a
// province the neighbours always count.
//
// The score (0 to about 1.05) weighs each word by how rare it is (inverse
// document frequency) and how well it matched; a word matching with the
// same diacritics adds a little, each word of the record the query does not
// name takes a little, so "Nguyên" ranks "Lê Nguyên" above "Nguyễn Văn Lê".
// Ties go to the record added first.
//
// Empty text returns the scope's records by ascending id.
func (ix *Index) Search(q Query) ([]Hit, int) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	f := ix.filter(q)
	if f.sc.none {
		return nil, 0
	}
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return ix.searchAll(&f, limit)
	}
	if digits, ok := numberQuery(text); ok {
		return ix.searchNumber(&f, digits, limit)
	}
	toks := tokens(text)
	if len(toks) == 0 {
		return nil, 0
	}
	return ix.searchName(toks, &f, limit)
}

// strictBudget is how many postings a search may read before words that
// are names themselves stop standing for their typo neighbours.
const strictBudget = 60_000

// filter is a Query's conditions resolved.
type filter struct {
	sc               scope
	groups           uint32
	band             bool
	from, to         int // day numbers, inclusive
	fromYear, toYear int
}

func (ix *Index) filter(q Query) filter {
	f := filter{sc: ix.pl.scope(q.Scope), groups: q.Groups}
	if !q.BornFrom.IsZero() || !q.BornTo.IsZero() {
		f.band = true
		f.from, f.to = math.MinInt32, math.MaxInt32
		f.fromYear, f.toYear = 0, 1<<16
		if !q.BornFrom.IsZero() {
			f.from, _ = dayRange(q.BornFrom)
			f.fromYear = q.BornFrom.Year
		}
		if !q.BornTo.IsZero() {
			_, f.to = dayRange(q.BornTo)
			f.toYear = q.BornTo.Year
		}
	}
	return f
}

// passPost checks the filters a posting entry can answer, and the record
// itself for the rest.
func (ix *Index) passPost(f *filter, e *post) bool {
	if !f.sc.all && !f.sc.covers(ix.pl, e.commune) {
		return false
	}
	if f.band {
		y := int(e.year) + 1900
		if e.year == 0 || y < f.fromYear || y > f.toYear {
			return false
		}
		if (y == f.fromYear || y == f.toYear) && !f.inBand(ix.recs[e.idx].dob) {
			return false
		}
	}
	return f.groups == 0 || ix.recs[e.idx].groups&f.groups != 0
}

// passRec checks all filters on a record.
func (ix *Index) passRec(f *filter, idx uint32) bool {
	r := &ix.recs[idx]
	if !r.live || !f.sc.covers(ix.pl, r.commune) {
		return false
	}
	if f.band && !f.inBand(r.dob) {
		return false
	}
	return f.groups == 0 || r.groups&f.groups != 0
}

func (f *filter) inBand(v uint32) bool {
	if v == 0 {
		return false
	}
	lo, hi := dayRange(unpackDate(v))
	return hi >= f.from && lo <= f.to
}

// dayRange returns the first and last day a partial date may be.
func dayRange(d dates.Date) (lo, hi int) {
	switch d.Precision {
	case dates.Day:
		n := dayNumber(d.Year, d.Month, d.Day)
		return n, n
	case dates.Month:
		return dayNumber(d.Year, d.Month, 1), dayNumber(d.Year, d.Month, daysIn(d.Year, d.Month))
	}
	return dayNumber(d.Year, 1, 1), dayNumber(d.Year, 12, 31)
}

// numberQuery recognises a query that is a number: digits with the
// separators people type, or a phone with +84.
func numberQuery(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '+':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() >= 8
}

func (ix *Index) searchNumber(f *filter, digits string, limit int) ([]Hit, int) {
	var slots []uint32
	add := func(s uint32) { slots = append(slots, s) }
	if v := parsePID(digits); v != 0 {
		ix.pidTab.each(v, add)
	}
	if p, err := ident.NormalizePhone(digits); err == nil {
		ix.phoneTab.each(parsePhone(p), add)
	}
	var hits []Hit
	for _, idx := range slots {
		if ix.passRec(f, idx) {
			hits = append(hits, Hit{ID: ix.ids[idx], Score: 1})
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int { return cmpI64(a.ID, b.ID) })
	total := len(hits)
	return hits[:min(limit, len(hits))], total
}

// searchAll lists the scope's records by id.
func (ix *Index) searchAll(f *filter, limit int) ([]Hit, int) {
	top := &idHeap{}
	total := 0
	visit := func(idx uint32) {
		if !ix.passRec(f, idx) {
			return
		}
		total++
		id := ix.ids[idx]
		if top.Len() < limit {
			heap.Push(top, id)
		} else if id < (*top)[0] {
			(*top)[0] = id
			heap.Fix(top, 0)
		}
	}
	switch {
	case f.sc.all:
		for i := range ix.recs {
			visit(uint32(i))
		}
	case f.sc.commune != 0:
		for _, idx := range ix.byCommune[f.sc.commune] {
			visit(idx)
		}
	default:
		for _, ci := range ix.pl.provComms[f.sc.province] {
			if int(ci) < len(ix.byCommune) {
				for _, idx := range ix.byCommune[ci] {
					visit(idx)
				}
			}
		}
	}
	ids := []int64(*top)
	slices.Sort(ids)
	hits := make([]Hit, len(ids))
	for i, id := range ids {
		hits[i] = Hit{ID: id}
	}
	return hits, total
}

// searchName runs a name query: it reads the postings of the query word
// with the fewest (the pivot), checks every other word against the words
// each entry carries, and keeps the best. Words match their typo and
// sound-alike neighbours too unless that would make the pivot read more
// than strictBudget postings (a nationwide search for a common name); then
// only words that look like slips do.
func (ix *Index) searchName(toks []token, f *filter, limit int) ([]Hit, int) {
	m := ix.newMatcher(toks, true, false)
	weights, wsum, pivot := ix.prepareSearch(m, f)
	if pivot >= 0 && m.words[pivot].size > strictBudget {
		m.release()
		m = ix.newMatcher(toks, true, true)
		weights, wsum, pivot = ix.prepareSearch(m, f)
	}
	defer m.release()
	if pivot < 0 {
		return nil, 0
	}
	return ix.scanSearch(m, f, limit, weights, wsum, pivot)
}

// prepareSearch weighs the words of a query, marks those that may be
// missing and picks the pivot: the required word with the fewest postings
// in scope (-1 when some word can match nothing).
func (ix *Index) prepareSearch(m *matcher, f *filter) (weights []float64, wsum float64, pivot int) {
	n := float64(max(ix.live, 1))
	nw := len(m.words)
	weights = make([]float64, nw)
	dfs := make([]float64, nw)
	rarest := -1
	for i := range m.words {
		w := &m.words[i]
		df := 0.0
		if w.foldID >= 0 {
			df = float64(ix.v.fold[w.foldID].n)
		} else {
			for _, e := range w.exps {
				df = max(df, float64(ix.v.fold[e.fold].n))
			}
		}
		dfs[i] = df
		weights[i] = math.Log(1 + n/(df+1))
		wsum += weights[i]
		if len(w.exps) > 0 && (rarest < 0 || df < dfs[rarest]) {
			rarest = i
		}
	}
	// An inner word may be missing, but never the query's rarest: in
	// "Thị Ngoan Nguyễn" (family name last) the inner word is the given
	// name.
	for i := range m.words {
		w := &m.words[i]
		w.optional = nw >= 3 && i > 0 && i < nw-1 && i != rarest
		if len(w.exps) == 0 && !w.optional {
			return nil, 0, -1 // a word matching nothing at all
		}
	}
	lo, hi := f.sc.provinceRange(len(ix.pl.provinces))
	pivot = -1
	for i := range m.words {
		w := &m.words[i]
		w.size = 0
		for _, e := range w.exps {
			for _, a := range ix.v.fold[e.fold].accs {
				w.size += postingsIn(ix.v.acc[a].post, lo, hi)
			}
		}
		if !w.optional && (pivot < 0 || w.size < m.words[pivot].size) {
			pivot = i
		}
	}
	return weights, wsum, pivot
}

// scanSearch reads the pivot's postings.
func (ix *Index) scanSearch(m *matcher, f *filter, limit int, weights []float64, wsum float64, pivot int) ([]Hit, int) {
	nw := len(m.words)
	lo, hi := f.sc.provinceRange(len(ix.pl.provinces))
	// The pivot's syllables, best match first; rank marks the order so an
	// entry holding two of them is counted once, from the first.
	pw := &m.words[pivot]
	type list struct {
		acc uint32
		sim uint8
	}
	var lists []list
	for _, e := range pw.exps {
		for _, a := range ix.v.fold[e.fold].accs {
			lists = append(lists, list{a, m.sims[m.slot[a]][pivot]})
		}
	}
	slices.SortStableFunc(lists, func(a, b list) int { return int(b.sim) - int(a.sim) })
	for r, l := range lists {
		m.rank[m.slot[l.acc]] = uint16(r + 1)
	}
	defer func() {
		for _, l := range lists {
			m.rank[m.slot[l.acc]] = 0
		}
	}()

	top := &hitHeap{}
	total := 0
	var arena []uint32
	const low7, high = 0x7F7F7F7F7F7F7F7F, 0x8080808080808080
	var reqHigh, optHigh uint64 // high bits of the bytes of required and optional words
	for i := range nw {
		if m.words[i].optional {
			optHigh |= 0x80 << (8 * i)
		} else {
			reqHigh |= 0x80 << (8 * i)
		}
	}
	for r, l := range lists {
		rank := uint16(r + 1)
		posts := ix.v.acc[l.acc].post
		for p := lo; p < hi && p < len(posts); p++ {
			for k := range posts[p] {
				e := &posts[p][k]
				if !f.sc.all && !f.sc.covers(ix.pl, e.commune) {
					continue // a part holds several provinces; the scope one
				}
				var best [maxWords]uint8
				var nt int
				if e.flags&postLong == 0 {
					if rank > 1 && m.seenBefore(e.toks[:], l.acc, rank) {
						continue
					}
					best, nt = m.bestPost(e)
				} else {
					arena = ix.words(e.idx)
					if m.seenBeforeWords(arena, l.acc, rank) {
						continue
					}
					best, nt = m.bestWords(arena), len(arena)
				}
				// Which words found nothing, all eight at once: a byte's
				// high bit in zero is set when the byte is 0.
				b := binary.LittleEndian.Uint64(best[:])
				zero := ^(((b & low7) + low7) | b) & high
				if zero&reqHigh != 0 {
					continue
				}
				missing := bits.OnesCount64(zero & optHigh)
				// A missing word is a middle name the record does not have,
				// not one it has differently.
				if missing > 1 || missing == 1 && nt > nw-1 || !ix.passPost(f, e) {
					continue
				}
				total++
				score := 0.0
				accent := 0
				matched := 0
				for i := range nw {
					s := best[i]
					if s == simAccent {
						accent++
						s = simExact
					}
					if s > 0 {
						matched++
					}
					score += weights[i] * float64(s) / simExact
				}
				score /= wsum
				score += 0.04 * float64(accent) / float64(nw)
				score -= 0.02 * float64(min(max(nt-matched, 0), 3))
				top.offer(scored{score, e.idx}, limit)
			}
		}
	}
	best := top.sorted()
	hits := make([]Hit, len(best))
	for i, b := range best {
		hits[i] = Hit{ID: ix.ids[b.idx], Score: b.score}
	}
	return hits, total
}

// seenBefore reports whether a posting entry holds, besides the syllable
// whose list is being read, a pivot syllable read earlier.
func (m *matcher) seenBefore(toks []uint16, self uint32, rank uint16) bool {
	if rank == 1 {
		return false
	}
	for _, t := range toks {
		if t == 0 {
			break
		}
		if uint32(t) == self || int(t) >= len(m.slot) {
			continue
		}
		if r := m.rank[m.slot[t]]; r != 0 && r < rank {
			return true
		}
	}
	return false
}

func (m *matcher) seenBeforeWords(w []uint32, self uint32, rank uint16) bool {
	for _, t := range w {
		if t == self || int(t) >= len(m.slot) {
			continue
		}
		if r := m.rank[m.slot[t]]; r != 0 && r < rank {
			return true
		}
	}
	return false
}

func postingsIn(p [][]post, lo, hi int) int {
	n := 0
	for i := lo; i < hi && i < len(p); i++ {
		n += len(p[i])
	}
	return n
}

// scored is a slot with its score.
type scored struct {
	score float64
	idx   uint32
}

// hitHeap keeps the best hits: its root is the worst kept. Equal scores
// go to the record added first (the lower slot), which needs no look-up of
// ids in the hot loop.
type hitHeap []scored

func worse(a, b scored) bool { return a.score < b.score || a.score == b.score && a.idx > b.idx }

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *hitHeap) offer(x scored, limit int) {
	if h.Len() < limit {
		heap.Push(h, x)
	} else if worse((*h)[0], x) {
		(*h)[0] = x
		heap.Fix(h, 0)
	}
}

func (h *hitHeap) sorted() []scored {
	out := slices.Clone(*h)
	slices.SortFunc(out, func(a, b scored) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	return out
}

// idHeap keeps the smallest ids: its root is the largest kept.
type idHeap []int64

func (h idHeap) Len() int           { return len(h) }
func (h idHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h idHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *idHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *idHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func cmpI64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dayNumber counts days from 1970-01-01 (proleptic Gregorian).
func dayNumber(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

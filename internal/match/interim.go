// Package match finds children by name however it is typed and scores how
// likely a reported child is one already in the registry.
//
// INTERIM: this file is a simple, slow stand-in with the API of the real
// engine, which is being written on main. Everything here is a linear scan;
// it exists so that the registry can be built and tested now, and it is
// deleted when the real package lands.
package match

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"treem/internal/dates"
	"treem/internal/geo"
	"treem/internal/ident"
	"treem/internal/vntext"
)

// Record is a child as the index knows it.
type Record struct {
	ID      int64
	Name    string
	DOB     dates.Date
	Sex     ident.Sex
	Commune string // current 5-digit code
	PID     string
	Phone   string
	Groups  uint32 // bit i = group i of a,b,c,d,đ,e,g,h,i,k,l,m,n,o
}

// Scope limits a search to a province, or a commune; empty is the country.
type Scope struct{ Province, Commune string }

// Index holds the records in memory. It is safe for concurrent use.
type Index struct {
	mu   sync.RWMutex
	recs map[int64]*entry
}

type entry struct {
	Record
	words    []string
	province string
}

// New returns an empty index.
func New() *Index { return &Index{recs: map[int64]*entry{}} }

// Upsert adds or replaces a record.
func (ix *Index) Upsert(r Record) {
	e := &entry{Record: r, words: vntext.Words(r.Name), province: geo.Default().ProvinceOf(r.Commune)}
	ix.mu.Lock()
	ix.recs[r.ID] = e
	ix.mu.Unlock()
}

// Delete removes a record.
func (ix *Index) Delete(id int64) {
	ix.mu.Lock()
	delete(ix.recs, id)
	ix.mu.Unlock()
}

// Len is the number of records.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.recs)
}

// Get returns a record by id.
func (ix *Index) Get(id int64) (Record, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e, ok := ix.recs[id]
	if !ok {
		return Record{}, false
	}
	return e.Record, true
}

// Query is a search.
type Query struct {
	Text             string
	Scope            Scope
	Groups           uint32 // any of these groups; 0 for any child
	BornFrom, BornTo dates.Date
	Limit            int
}

// Hit is a search result.
type Hit struct {
	ID    int64
	Score float64
}

func (e *entry) in(s Scope) bool {
	if s.Commune != "" && e.Commune != s.Commune {
		return false
	}
	return s.Province == "" || e.province == s.Province
}

// Search ranks the records whose name matches every word of the text,
// ignoring diacritics, case and word order and tolerating a typo per word.
// total counts every match.
func (ix *Index) Search(q Query) ([]Hit, int) {
	words := vntext.Words(q.Text)
	digits := strings.Join(words, "")
	isNumber := digits != "" && strings.Trim(digits, "0123456789") == ""
	var from, to int
	if !q.BornFrom.IsZero() {
		from = dayNum(q.BornFrom)
	}
	if !q.BornTo.IsZero() {
		to = dayNum(q.BornTo)
	}
	ix.mu.RLock()
	var hits []Hit
	for _, e := range ix.recs {
		if !e.in(q.Scope) || (q.Groups != 0 && e.Groups&q.Groups == 0) {
			continue
		}
		if from != 0 || to != 0 {
			d := dayNum(e.DOB)
			if d == 0 || (from != 0 && d < from) || (to != 0 && d > to) {
				continue
			}
		}
		score := 1.0
		if isNumber {
			if e.PID != digits {
				continue
			}
		} else if len(words) > 0 {
			score = nameScore(words, e.words)
			if score == 0 {
				continue
			}
		}
		hits = append(hits, Hit{ID: e.ID, Score: score})
	}
	ix.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	total := len(hits)
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	return hits, total
}

func dayNum(d dates.Date) int { return d.Year*10000 + d.Month*100 + d.Day }

// nameScore is 0 unless every query word matches a distinct word of the
// name; then the mean quality of the word matches, lowered a little for
// words of the name the query left out.
func nameScore(query, name []string) float64 {
	if len(query) == 0 || len(name) == 0 {
		return 0
	}
	used := make([]bool, len(name))
	sum := 0.0
	for _, q := range query {
		best, at := 0.0, -1
		for i, w := range name {
			if used[i] {
				continue
			}
			if s := wordScore(q, w); s > best {
				best, at = s, i
			}
		}
		if at < 0 {
			return 0
		}
		used[at] = true
		sum += best
	}
	s := sum / float64(len(query))
	missing := len(name) - len(query)
	if missing > 0 {
		s *= 1 - 0.05*float64(missing)
	}
	return s
}

// wordScore compares two folded words: 1 equal, 0.8 a prefix of at least
// two letters, 0.75 one typo (two for long words), else 0.
func wordScore(q, w string) float64 {
	switch {
	case q == w:
		return 1
	case len(q) >= 2 && strings.HasPrefix(w, q):
		return 0.8
	}
	limit := 1
	if len(q) >= 7 {
		limit = 2
	}
	if len(q) < 3 {
		return 0
	}
	if d := distance(q, w, limit); d <= limit {
		return 0.85 - 0.1*float64(d)
	}
	return 0
}

// distance is the optimal-string-alignment distance between a and b, or
// limit+1 when it is larger than limit.
func distance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Candidate is a reported child to compare with the registry; any field
// may be missing.
type Candidate struct {
	Name                            string
	DOB                             dates.Date
	Sex                             ident.Sex
	Commune, OldCommune, PID, Phone string
}

// Match is a registry child that may be the candidate.
type Match struct {
	ID      int64
	Score   float64
	Verdict string // likely or possible
	Commune string
	Reasons []string
}

// Verdict thresholds.
const (
	likelyAt   = 0.8
	possibleAt = 0.55
)

// Match returns up to limit records, best first, that may be the candidate.
// An empty scope is the whole country.
func (ix *Index) Match(c Candidate, scope Scope, limit int) []Match {
	if limit <= 0 {
		limit = 10
	}
	words := vntext.Words(c.Name)
	communes := map[string]bool{}
	if c.Commune != "" {
		communes[c.Commune] = true
	}
	if c.OldCommune != "" {
		if succ, ok := geo.Default().ResolveOld(c.OldCommune); ok {
			for _, s := range succ {
				communes[s.Code] = true
			}
		}
	}
	provinces := map[string]bool{}
	for code := range communes {
		provinces[geo.Default().ProvinceOf(code)] = true
	}
	ix.mu.RLock()
	var out []Match
	for _, e := range ix.recs {
		if !e.in(scope) {
			continue
		}
		m, ok := score(c, words, communes, provinces, e)
		if ok {
			out = append(out, m)
		}
	}
	ix.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func score(c Candidate, words []string, communes, provinces map[string]bool, e *entry) (Match, bool) {
	var reasons []string
	if c.PID != "" && c.PID == e.PID {
		return Match{ID: e.ID, Score: 0.99, Verdict: "likely", Commune: e.Commune, Reasons: []string{"pid"}}, true
	}
	total, weight := 0.0, 0.0
	add := func(w, s float64, reason string) {
		total += w * s
		weight += w
		if s >= 0.99 && reason != "" {
			reasons = append(reasons, reason)
		}
	}
	if len(words) > 0 {
		ns := max(nameScore(words, e.words), nameScore(e.words, words))
		if ns == 0 {
			return Match{}, false
		}
		add(0.5, ns, "name")
	}
	if !c.DOB.IsZero() {
		ds := dobScore(c.DOB, e.DOB)
		if ds > 0 && ds < 0.99 && dates.SwappedDayMonth(c.DOB, e.DOB) {
			reasons = append(reasons, "dob_swapped")
		}
		add(0.3, ds, "dob")
	}
	if c.Sex != ident.SexUnknown && e.Sex != ident.SexUnknown {
		s := 0.0
		if c.Sex == e.Sex {
			s = 1
		}
		add(0.05, s, "")
	}
	if len(communes) > 0 {
		s := 0.0
		switch {
		case communes[e.Commune]:
			s = 1
		case provinces[e.province]:
			s = 0.5
		}
		add(0.15, s, "commune")
	}
	if weight == 0 {
		return Match{}, false
	}
	sc := total / weight
	if len(words) == 0 {
		sc *= 0.7 // without a name nothing is likely
	}
	if c.Phone != "" && c.Phone == e.Phone {
		sc = min(1, sc+0.1)
		reasons = append(reasons, "phone")
	}
	if c.PID != "" && e.PID != "" && c.PID != e.PID {
		sc *= 0.7
	}
	m := Match{ID: e.ID, Score: sc, Commune: e.Commune, Reasons: slices.Clip(reasons)}
	switch {
	case sc >= likelyAt:
		m.Verdict = "likely"
	case sc >= possibleAt:
		m.Verdict = "possible"
	default:
		return Match{}, false
	}
	return m, true
}

// dobScore compares two dates of birth, partial ones by what both know.
func dobScore(a, b dates.Date) float64 {
	if b.IsZero() {
		return 0.3
	}
	switch {
	case a.Year != b.Year:
		if d := a.Year - b.Year; d == 1 || d == -1 {
			return 0.2
		}
		return 0
	case a.Precision == dates.Year || b.Precision == dates.Year:
		return 0.8
	case a.Month == b.Month && (a.Precision == dates.Month || b.Precision == dates.Month):
		return 0.9
	case a.Month == b.Month && a.Day == b.Day:
		return 1
	case dates.SwappedDayMonth(a, b):
		return 0.7
	case a.Month == b.Month:
		return 0.6
	}
	return 0.3
}

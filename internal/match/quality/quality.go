// Package quality builds a labelled evaluation set for name search and
// duplicate matching from synthetic children, and measures the matcher on
// it: how often the right child comes first for a second report, and how
// often a child who is not in the registry is called a likely match.
//
// The set: a registry of N children in special circumstances
// (synth.Generator.RegistryChild, ids 1..N); second reports of registry
// children written differently (synth.RewordExplained: diacritics, case,
// word order, typos, middle names, date shapes, old or neighbouring
// communes, missing fields); and reports of children who are not in the
// registry — new children, namesakes (same name, sex and year of birth as a
// registry child, living elsewhere) and brothers and sisters of registry
// children (same family name, household, phone) — written with the same
// noise.
package quality

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"treem/internal/match"
	"treem/internal/synth"
)

// Config sizes an evaluation set.
type Config struct {
	N       int       // children in the registry
	Reports int       // second reports of registry children
	New     int       // reports of children not in the registry
	Seed    uint64    // the same seed gives the same set
	AsOf    time.Time // the day the children's ages are taken on
}

// Kinds of report.
const (
	KindSecond   = "second_report" // a registry child, reported again
	KindNew      = "new"           // a child not in the registry
	KindNamesake = "namesake"      // not in the registry; same name, sex, year of birth as a registry child
	KindSibling  = "sibling"       // not in the registry; brother or sister of a registry child
)

// Report is one query of the set.
type Report struct {
	Kind    string
	Want    int64 // the registry id of the child reported, 0 if not in the registry
	Child   synth.Child
	Changes []string // synth.Change… codes
}

// Candidate returns the report as a match candidate.
func (r Report) Candidate() match.Candidate {
	return match.Candidate{
		Name:       r.Child.Name,
		DOB:        r.Child.DOB,
		Sex:        r.Child.Sex,
		Commune:    r.Child.Commune,
		OldCommune: r.Child.OldCommune,
		PID:        r.Child.PID,
		Phone:      r.Child.Phone,
	}
}

// Set is a registry and the reports to run against it.
type Set struct {
	Registry []match.Record
	Reports  []Report
}

// Build makes the set of cfg. Second reports and new children alternate in
// Reports.
func Build(cfg Config) *Set {
	g := synth.New(cfg.Seed, cfg.AsOf)
	s := &Set{Registry: make([]match.Record, cfg.N)}
	children := make([]synth.Child, cfg.N)
	for i := range cfg.N {
		c := g.RegistryChild()
		children[i] = c
		s.Registry[i] = Record(int64(i+1), c)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 7))
	nSecond, nNew := 0, 0
	for nSecond < cfg.Reports || nNew < cfg.New {
		if nSecond < cfg.Reports && (nNew >= cfg.New || nSecond <= nNew) {
			i := r.IntN(cfg.N)
			c, ch := synth.RewordExplained(children[i], r)
			s.Reports = append(s.Reports, Report{Kind: KindSecond, Want: int64(i + 1), Child: c, Changes: ch})
			nSecond++
			continue
		}
		var c synth.Child
		kind := KindNew
		switch x := r.IntN(100); {
		case x < 15:
			kind = KindNamesake
			c = g.Namesake(children[r.IntN(cfg.N)])
		case x < 20:
			kind = KindSibling
			c = g.Sibling(children[r.IntN(cfg.N)])
		default:
			c = g.RegistryChild()
		}
		c, ch := synth.RewordExplained(c, r)
		s.Reports = append(s.Reports, Report{Kind: kind, Child: c, Changes: ch})
		nNew++
	}
	return s
}

// Record turns a synthetic child into an index record.
func Record(id int64, c synth.Child) match.Record {
	return match.Record{ID: id, Name: c.Name, DOB: c.DOB, Sex: c.Sex, Commune: c.Commune,
		PID: c.PID, Phone: c.Phone, Groups: GroupBits(c.Groups)}
}

// groupLetters are the special-circumstance groups in bit order.
var groupLetters = []string{"a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "n", "o"}

// GroupBits turns group letters into the bit set match.Record.Groups holds.
func GroupBits(letters []string) uint32 {
	var b uint32
	for _, l := range letters {
		if l == "dd" {
			l = "đ"
		}
		if i := slices.Index(groupLetters, l); i >= 0 {
			b |= 1 << i
		}
	}
	return b
}

// Index builds an index of the set's registry and reports how long the
// upserts took.
func (s *Set) Index() (*match.Index, time.Duration) {
	ix := match.New()
	start := time.Now()
	ix.Reserve(len(s.Registry))
	for _, r := range s.Registry {
		ix.Upsert(r)
	}
	return ix, time.Since(start)
}

// Result holds the figures of one evaluation.
type Result struct {
	Second, NotIn int // reports of each side
	// Of second reports: the right child first among Match's answers; first
	// and "likely"; anywhere among the answers.
	Recall1, RecallLikely, RecallAny float64
	// Of children not in the registry: a "likely" answer; any answer.
	NewLikely, NewPossible float64
	// Of second reports: the right child among Search's first 20 for the
	// report's name alone, nationwide and within the right commune.
	SearchRecall20, SearchRecall20Commune float64
	ByChange                              map[string]Rate // recall@1 of second reports carrying each change
	ByKind                                map[string]Rate // "likely" rate of each kind of child not in the registry
	Match                                 []time.Duration // the wall time of each Match call
	Search                                []time.Duration // the wall time of each Search call
	// The same as CPU time of the calling thread: unlike wall time, not
	// inflated when other processes share the machine.
	MatchCPU, SearchCPU []time.Duration
	Misses              []Miss // second reports whose right child did not come first (a sample)
	// The best score Match gave each second report when it was the right
	// child (0 when the right child was not first), and each child not in
	// the registry: what Sweep reads.
	RightScores, NewScores []float64
	// Second reports whose right child Search did not list for the name
	// within its commune (a sample).
	SearchMisses []Miss
	Wrongs       []Miss // children not in the registry called likely (a sample)
}

// Rate is a count of successes among a number of trials.
type Rate struct{ Hit, Of int }

func (r Rate) String() string {
	if r.Of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f (%d/%d)", float64(r.Hit)/float64(r.Of), r.Hit, r.Of)
}

// Miss is a report the matcher got wrong, for reading.
type Miss struct {
	Report Report
	Want   match.Record
	Got    []match.Match
	GotRec []match.Record
}

// Evaluate runs every report through Match (nationwide, limit 10) and, for
// second reports, Search.
func Evaluate(ix *match.Index, s *Set) Result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	res := Result{ByChange: map[string]Rate{}, ByKind: map[string]Rate{}}
	timed := func(wall, cpu *[]time.Duration, f func()) {
		c, w := ThreadCPU(), time.Now()
		f()
		*wall = append(*wall, time.Since(w))
		*cpu = append(*cpu, ThreadCPU()-c)
	}
	var r1, rl, ra, nl, np, s20, s20c int
	for _, rep := range s.Reports {
		var got []match.Match
		timed(&res.Match, &res.MatchCPU, func() { got = ix.Match(rep.Candidate(), match.Scope{}, 10) })
		if rep.Kind == KindSecond {
			res.Second++
			first := len(got) > 0 && got[0].ID == rep.Want
			if first {
				res.RightScores = append(res.RightScores, got[0].Score)
			} else {
				res.RightScores = append(res.RightScores, 0)
			}
			if first {
				r1++
				if got[0].Verdict == match.VerdictLikely {
					rl++
				}
			}
			if slices.ContainsFunc(got, func(m match.Match) bool { return m.ID == rep.Want }) {
				ra++
			}
			for _, ch := range append([]string{"all"}, rep.Changes...) {
				rt := res.ByChange[ch]
				rt.Of++
				if first {
					rt.Hit++
				}
				res.ByChange[ch] = rt
			}
			if !first && len(res.Misses) < 50 {
				res.Misses = append(res.Misses, miss(ix, rep, got))
			}
			var hits []match.Hit
			timed(&res.Search, &res.SearchCPU, func() { hits, _ = ix.Search(match.Query{Text: rep.Child.Name}) })
			if slices.ContainsFunc(hits, func(h match.Hit) bool { return h.ID == rep.Want }) {
				s20++
			}
			want, _ := ix.Get(rep.Want)
			timed(&res.Search, &res.SearchCPU, func() {
				hits, _ = ix.Search(match.Query{Text: rep.Child.Name, Scope: match.Scope{Commune: want.Commune}})
			})
			if slices.ContainsFunc(hits, func(h match.Hit) bool { return h.ID == rep.Want }) {
				s20c++
			} else if len(res.SearchMisses) < 30 {
				res.SearchMisses = append(res.SearchMisses, Miss{Report: rep, Want: want})
			}
			continue
		}
		res.NotIn++
		if len(got) > 0 {
			res.NewScores = append(res.NewScores, got[0].Score)
		} else {
			res.NewScores = append(res.NewScores, 0)
		}
		likely := len(got) > 0 && got[0].Verdict == match.VerdictLikely
		if likely {
			nl++
			if len(res.Wrongs) < 50 {
				res.Wrongs = append(res.Wrongs, miss(ix, rep, got))
			}
		}
		if len(got) > 0 {
			np++
		}
		rt := res.ByKind[rep.Kind]
		rt.Of++
		if likely {
			rt.Hit++
		}
		res.ByKind[rep.Kind] = rt
	}
	div := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	res.Recall1, res.RecallLikely, res.RecallAny = div(r1, res.Second), div(rl, res.Second), div(ra, res.Second)
	res.NewLikely, res.NewPossible = div(nl, res.NotIn), div(np, res.NotIn)
	res.SearchRecall20, res.SearchRecall20Commune = div(s20, res.Second), div(s20c, res.Second)
	return res
}

func miss(ix *match.Index, rep Report, got []match.Match) Miss {
	m := Miss{Report: rep, Got: got}
	if rep.Want != 0 {
		m.Want, _ = ix.Get(rep.Want)
	}
	for _, g := range got {
		r, _ := ix.Get(g.ID)
		m.GotRec = append(m.GotRec, r)
	}
	return m
}

// Percentile returns the p-th percentile (0–100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// Print writes the figures of res.
func (res Result) Print(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "second reports: %d   children not in the registry: %d\n", res.Second, res.NotIn)
	fmt.Fprintf(w, "  recall@1 (right child first):          %.4f\n", res.Recall1)
	fmt.Fprintf(w, "  right child first and \"likely\":         %.4f\n", res.RecallLikely)
	fmt.Fprintf(w, "  right child among the answers (≤10):   %.4f\n", res.RecallAny)
	fmt.Fprintf(w, "  not in registry, answered \"likely\":     %.4f\n", res.NewLikely)
	fmt.Fprintf(w, "  not in registry, any answer (possible): %.4f\n", res.NewPossible)
	fmt.Fprintf(w, "  search: right child in first 20 for the name, nationwide %.4f, in its commune %.4f\n",
		res.SearchRecall20, res.SearchRecall20Commune)
	fmt.Fprintf(w, "  thresholds: likely ≥ %.2f, possible ≥ %.2f\n", match.LikelyThreshold, match.PossibleThreshold)
	lat := func(name string, wall, cpu []time.Duration) {
		r := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
		fmt.Fprintf(w, "  %-6s wall p50 %v p95 %v p99 %v max %v | thread CPU p50 %v p95 %v p99 %v\n", name,
			r(Percentile(wall, 50)), r(Percentile(wall, 95)), r(Percentile(wall, 99)), r(Percentile(wall, 100)),
			r(Percentile(cpu, 50)), r(Percentile(cpu, 95)), r(Percentile(cpu, 99)))
	}
	lat("match", res.Match, res.MatchCPU)
	lat("search", res.Search, res.SearchCPU)
	fmt.Fprintln(w, "score thresholds: share of second reports whose right child comes first at or above, and of children not in the registry whose best answer is at or above")
	for _, th := range []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99} {
		fmt.Fprintf(w, "  %.2f   right %.4f   not-in %.4f\n", th, atLeast(res.RightScores, th), atLeast(res.NewScores, th))
	}
	fmt.Fprintln(w, "recall@1 by change in the second report:")
	for _, k := range sortedKeys(res.ByChange) {
		fmt.Fprintf(w, "  %-20s %s\n", k, res.ByChange[k])
	}
	fmt.Fprintln(w, "\"likely\" rate by kind of child not in the registry:")
	for _, k := range sortedKeys(res.ByKind) {
		fmt.Fprintf(w, "  %-20s %s\n", k, res.ByKind[k])
	}
	if !verbose {
		return
	}
	show := func(title string, ms []Miss) {
		fmt.Fprintln(w, title)
		for _, m := range ms {
			c := m.Report.Child
			fmt.Fprintf(w, "  report %q %s %s %s%s pid=%s phone=%s %v\n", c.Name, c.DOBText, c.Sex, c.Commune, oldMark(c.OldCommune), c.PID, c.Phone, m.Report.Changes)
			if m.Want.ID != 0 {
				fmt.Fprintf(w, "    want %d %q %s %s %s\n", m.Want.ID, m.Want.Name, m.Want.DOB, m.Want.Sex, m.Want.Commune)
			}
			for i, g := range m.Got {
				r := m.GotRec[i]
				fmt.Fprintf(w, "    got  %d %q %s %s %s  %.3f %s %v\n", g.ID, r.Name, r.DOB, r.Sex, r.Commune, g.Score, g.Verdict, g.Reasons)
			}
		}
	}
	show("second reports missed:", res.Misses)
	show("second reports Search did not list in the child's commune:", res.SearchMisses)
	show("children not in the registry called likely:", res.Wrongs)
}

func oldMark(s string) string {
	if s == "" {
		return ""
	}
	return "old:" + s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "all":
			return -1
		case b == "all":
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

func atLeast(scores []float64, th float64) float64 {
	n := 0
	for _, s := range scores {
		if s > 0 && s >= th {
			n++
		}
	}
	return float64(n) / float64(max(len(scores), 1))
}

package match_test

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"treem/internal/match"
	"treem/internal/match/quality"
)

// The national-scale benchmarks share one registry of two million
// synthetic children, built once per process on first use:
//
//	go test -run XXX -bench 2M -benchtime 2000x ./internal/match/
//
// Besides ns/op (the mean) they report the median and 95th percentile of
// single calls (wall time, one goroutine) and of the calling thread's CPU
// time, which stays honest when other processes share the machine.
var national struct {
	once  sync.Once
	set   *quality.Set
	ix    *match.Index
	build time.Duration
}

func nationalIndex(b *testing.B) (*quality.Set, *match.Index) {
	national.once.Do(func() {
		national.set = quality.Build(quality.Config{N: 2_000_000, Reports: 1000, New: 1000, Seed: 1,
			AsOf: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
		national.ix, national.build = national.set.Index()
		b.Logf("built the 2M index in %v", national.build)
		runtime.GC()
	})
	return national.set, national.ix
}

func BenchmarkSearch2M(b *testing.B) {
	set, ix := nationalIndex(b)
	var queries []match.Query
	for _, r := range set.Reports {
		queries = append(queries, match.Query{Text: r.Child.Name})
	}
	benchCalls(b, len(queries), func(i int) { ix.Search(queries[i]) })
}

func BenchmarkSearchCommune2M(b *testing.B) {
	set, ix := nationalIndex(b)
	var queries []match.Query
	for _, r := range set.Reports {
		if r.Want != 0 {
			want, _ := ix.Get(r.Want)
			queries = append(queries, match.Query{Text: r.Child.Name, Scope: match.Scope{Commune: want.Commune}})
		}
	}
	benchCalls(b, len(queries), func(i int) { ix.Search(queries[i]) })
}

func BenchmarkMatch2M(b *testing.B) {
	set, ix := nationalIndex(b)
	benchCalls(b, len(set.Reports), func(i int) { ix.Match(set.Reports[i].Candidate(), match.Scope{}, 10) })
}

// benchCalls runs call over the n queries in turn and reports percentiles.
func benchCalls(b *testing.B, n int, call func(i int)) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var wall, cpu []time.Duration
	i := 0
	for b.Loop() {
		c, w := quality.ThreadCPU(), time.Now()
		call(i % n)
		wall = append(wall, time.Since(w))
		cpu = append(cpu, quality.ThreadCPU()-c)
		i++
	}
	report := func(ds []time.Duration, name string) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(ds[len(ds)*95/100].Microseconds()), name+"-p95-µs")
	}
	report(wall, "wall")
	report(cpu, "cpu")
}

func BenchmarkBuild2M(b *testing.B) {
	set, _ := nationalIndex(b)
	for b.Loop() {
		set.Index()
	}
}

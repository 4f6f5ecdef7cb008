package children_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"treem/internal/children"
	"treem/internal/store"
)

// BenchmarkLoadIndex loads the name index from an existing registry, the
// start-up step before a server is ready to search:
//
//	TREEM_BENCH_DB=sqlite:/work/reg200k/treem.db go test ./internal/children -run XXX -bench LoadIndex -benchtime 3x
//
// (a registry kept by the bench package's BenchmarkRegistry with
// TREEM_BENCH_KEEP). It reports the children loaded a second and the heap
// the index holds.
func BenchmarkLoadIndex(b *testing.B) {
	dsn := os.Getenv("TREEM_BENCH_DB")
	if dsn == "" {
		b.Skip("TREEM_BENCH_DB names no registry")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int
	var heap uint64
	start := time.Now()
	for b.Loop() {
		s, err := children.New(ctx, children.Deps{DB: db})
		if err != nil {
			b.Fatal(err)
		}
		if n, err = s.LoadIndex(ctx); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapAlloc
		runtime.KeepAlive(s)
	}
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "children/s")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
}

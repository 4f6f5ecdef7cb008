// Command matcheval measures name search and duplicate matching on a
// synthetic registry: quality (recall of the right child for second
// reports, "likely" verdicts for children not in the registry) and speed
// (index build time and memory, search and match latency).
//
//	go run ./internal/match/cmd/matcheval -n 2000000
//	go run ./internal/match/cmd/matcheval -n 200000 -out /tmp/matchset   # also write the set as CSV
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"treem/internal/match/quality"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "matcheval:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("matcheval", flag.ContinueOnError)
	n := fs.Int("n", 200_000, "children in the registry")
	reports := fs.Int("reports", 5000, "second reports of registry children")
	newKids := fs.Int("new", 5000, "reports of children not in the registry")
	seed := fs.Uint64("seed", 1, "seed of the synthetic set")
	out := fs.String("out", "", "write registry.csv and queries.csv to this directory")
	verbose := fs.Bool("v", false, "list a sample of the reports the matcher got wrong")
	pg := fs.String("pg", "", "also run the pg_trgm peer in this PostgreSQL database (postgres://…)")
	pgLimit := fs.Int("pg-reports", 0, "run only the first N reports through the peer (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	start := time.Now()
	set := quality.Build(quality.Config{N: *n, Reports: *reports, New: *newKids, Seed: *seed, AsOf: asOf})
	fmt.Printf("generated %d children and %d reports in %v\n", *n, len(set.Reports), time.Since(start).Round(time.Millisecond))
	if *out != "" {
		if err := quality.WriteFiles(*out, set); err != nil {
			return err
		}
		fmt.Printf("wrote %s/registry.csv and %s/queries.csv\n", *out, *out)
	}

	before := heap()
	runtime.LockOSThread()
	cpu := quality.ThreadCPU()
	ix, took := set.Index()
	cpu = quality.ThreadCPU() - cpu
	runtime.UnlockOSThread()
	after := heap()
	fmt.Printf("index: %d records upserted in %v (%.0f/s; %v of CPU on the loading thread), %.0f MB of heap\n", ix.Len(),
		took.Round(time.Millisecond), float64(ix.Len())/took.Seconds(), cpu.Round(time.Millisecond), float64(after-before)/(1<<20))

	res := quality.Evaluate(ix, set)
	res.Print(os.Stdout, *verbose)
	runtime.KeepAlive(ix)
	if *pg != "" {
		return pgPeer(context.Background(), *pg, set, *pgLimit)
	}
	return nil
}

// heap returns the bytes of live heap after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

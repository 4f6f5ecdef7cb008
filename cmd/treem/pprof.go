//go:build pprof

// Built with -tags pprof (benchmarks only, never a release), treem serves
// Go's profiler on TREEM_PPROF_ADDR, a listener of its own apart from the
// application's routes: go tool pprof http://ADDR/debug/pprof/profile.
package main

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
	"runtime"
)

func init() {
	addr := os.Getenv("TREEM_PPROF_ADDR")
	if addr == "" {
		return
	}
	runtime.SetMutexProfileFraction(100)
	runtime.SetBlockProfileRate(100_000) // a sample per 100 µs blocked
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Fprintln(os.Stderr, "treem: pprof:", err)
		}
	}()
}

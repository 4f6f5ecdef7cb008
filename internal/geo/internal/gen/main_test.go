package main

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// The embedded tables must be what the generator makes of the sources beside
// them: a source updated without `go generate` fails here.
func TestGeneratedTablesAreUpToDate(t *testing.T) {
	units, old, err := build("../../data", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"units.tsv": units, "old.tsv": old} {
		got, err := os.ReadFile("../../data/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("data/%s is stale: run go generate ./internal/geo", name)
		}
	}
}

func TestParseTuple(t *testing.T) {
	got, err := parseTuple(`('24184','Ea H''Leo','Xã Ea H''Leo','66',4),`)
	want := []string{"24184", "Ea H'Leo", "Xã Ea H'Leo", "66", "4"}
	if err != nil || len(got) != len(want) {
		t.Fatalf("parseTuple = %q, %v; want %q", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d = %q, want %q", i, got[i], want[i])
		}
	}
	for _, bad := range []string{`('a','b`, `'a'`, `('a' 'b')`} {
		if _, err := parseTuple(bad); err == nil {
			t.Errorf("parseTuple(%q) accepted a malformed row", bad)
		}
	}
}

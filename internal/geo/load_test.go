package geo

import (
	"slices"
	"strings"
	"testing"

	"treem/internal/geo/internal/forms"
)

// The folded names in units.tsv were made by the generator; if the folding
// rules (vntext.Fold, package forms) change, queries would no longer be folded
// the way the names were, and searches would quietly miss. Regenerate then.
func TestStoredSearchFormsAreCurrent(t *testing.T) {
	u := Default()
	stored := make([][]string, len(u.units))
	for _, n := range u.names {
		stored[n.unit] = append(stored[n.unit], n.text)
	}
	for i, un := range u.units {
		want := forms.Of(un.Name, un.FullName, un.NameEn, un.FullNameEn)
		if got := stored[i]; !sameSet(got, want) {
			t.Fatalf("unit %s: stored search forms %q, folding now gives %q: run go generate ./internal/geo", un.Code, got, want)
		}
		for _, n := range want {
			for w := range strings.FieldsSeq(n) {
				v, ok := slices.BinarySearch(u.vocab, w)
				if !ok || !slices.Contains(u.post[u.postStart[v]:u.postStart[v+1]], int32(i)) {
					t.Fatalf("unit %s: word %q is not indexed", un.Code, w)
				}
			}
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load(); err != nil {
			b.Fatal(err)
		}
	}
}

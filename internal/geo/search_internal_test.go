package geo

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"treem/internal/geo/internal/forms"
	"treem/internal/vntext"
)

// Search, with its word index and bit sets, must answer what the plain rule
// says: check it against a slow, obvious reading of the rule on many queries.
func TestSearchAgreesWithThePlainRule(t *testing.T) {
	u := Default()
	rng := rand.New(rand.NewPCG(1, 2))
	var queries []Query
	for range 400 {
		un := u.units[rng.IntN(len(u.units))]
		ws := strings.Fields(vntext.Fold(un.FullName))
		var q []string
		for _, w := range ws {
			if rng.IntN(2) == 0 {
				q = append(q, w[:1+rng.IntN(len(w))]) // a prefix of some of its words
			}
		}
		rng.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
		qq := Query{Text: strings.Join(q, " "), Limit: 1 + rng.IntN(120)}
		switch rng.IntN(4) {
		case 0:
			qq.Province = un.Province
		case 1:
			qq.Level = LevelCommune
		case 2:
			qq.Level = LevelProvince
		}
		queries = append(queries, qq)
	}
	queries = append(queries, Query{Text: "phuong"}, Query{Text: "0"}, Query{Text: "79", Limit: 100}, Query{Text: "x", Province: "92"})

	var ref reference // folded once: folding is the slow part
	for _, un := range u.units {
		names := forms.Of(un.Name, un.FullName, un.NameEn, un.FullNameEn)
		ref.names = append(ref.names, names)
		ref.words = append(ref.words, strings.Fields(strings.Join(names, " ")))
	}
	for _, q := range queries {
		want, wantTotal := ref.search(u, q)
		got, total := u.Search(q)
		if total != wantTotal || !slices.Equal(codesOf(got), codesOf(want)) {
			t.Fatalf("Search(%+v) = %v (%d), the plain rule gives %v (%d)", q, codesOf(got), total, codesOf(want), wantTotal)
		}
	}
}

// reference holds each unit's folded names and their words.
type reference struct{ names, words [][]string }

func (ref reference) search(u *Units, q Query) ([]Unit, int) {
	text := vntext.Fold(q.Text)
	numeric := isDigits(text)
	var ranked [3][]Unit
	for i, un := range u.units { // province, then code: the tie order
		if (q.Level != "" && un.Level != q.Level) || (q.Province != "" && un.Province != q.Province) {
			continue
		}
		names := ref.names[i]
		rank := 2
		switch {
		case text == "":
		case numeric:
			if !strings.HasPrefix(un.Code, text) {
				continue
			}
			rank = 1
			if un.Code == text {
				rank = 0
			}
		default:
			words := ref.words[i]
			all := true
			for _, qw := range strings.Fields(text) {
				all = all && slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, qw) })
			}
			if !all {
				continue
			}
			for _, n := range names {
				if strings.HasPrefix(n, text) {
					rank = min(rank, 1)
				}
				if n == text {
					rank = 0
				}
			}
		}
		ranked[rank] = append(ranked[rank], un)
	}
	all := slices.Concat(ranked[0], ranked[1], ranked[2])
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit, len(all))
	return all[:limit], len(all)
}

func codesOf(units []Unit) []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = u.Code
	}
	return out
}

package geo_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"treem/internal/geo"
)

func TestSearchFindsPhuongBaDinh(t *testing.T) {
	u := geo.Default()
	for _, text := range []string{"ba dinh", "Ba Đình", "BA ĐÌNH", "dinh ba", "phuong ba", "Phường Ba Đình", "ba dinh ward", "  ba,  dinh "} {
		hits, total := u.Search(geo.Query{Text: text})
		if !slices.ContainsFunc(hits, func(h geo.Unit) bool { return h.Code == "00004" }) {
			t.Errorf("searching %q (%d matches) did not find Phường Ba Đình: %v", text, total, codes(hits))
		}
	}
}

func TestSearch(t *testing.T) {
	tests := []struct {
		name      string
		q         geo.Query
		want      []string // the hits, in order; nil to check only first and total
		first     string
		total     int
		checkRest func(geo.Unit) bool
	}{
		{name: "exact name, then names starting with it, then the rest; not province order",
			q: geo.Query{Text: "tay ninh"}, want: []string{"80", "22552", "12919"}, total: 3},
		{name: "exact matches keep province then code order",
			q: geo.Query{Text: "ba dinh"}, want: []string{"00004", "16171", "21499"}, total: 3},
		{name: "word order ignored, ranked by province",
			q: geo.Query{Text: "dinh ba"}, first: "00004", total: 3},
		{name: "the full name counts as a name",
			q: geo.Query{Text: "phuong ba dinh"}, want: []string{"00004"}, total: 1},
		{name: "English name", q: geo.Query{Text: "Paracel"}, want: []string{"20333"}, total: 1},
		{name: "Vietnamese name of a special zone", q: geo.Query{Text: "truong sa"}, first: "22736"},
		{name: "apostrophe typed", q: geo.Query{Text: "Cư M'gar"}, want: []string{"24280"}, total: 1},
		{name: "apostrophe left out", q: geo.Query{Text: "cu mgar"}, want: []string{"24280"}, total: 1},
		{name: "every word must match", q: geo.Query{Text: "ba dinh xyz"}, want: []string{}, total: 0},
		{name: "initials are not words", q: geo.Query{Text: "hn"}, want: []string{}, total: 0},
		{name: "a code", q: geo.Query{Text: "00004"}, want: []string{"00004"}, total: 1},
		{name: "a code prefix", q: geo.Query{Text: "0000"}, want: []string{"00004", "00008"}, total: 2},
		{name: "a province code comes before communes whose codes start with it",
			q: geo.Query{Text: "01", Limit: 100}, first: "01",
			checkRest: func(h geo.Unit) bool { return h.Code[:2] == "01" }},
		{name: "province filter", q: geo.Query{Province: "01", Text: "ba dinh"}, want: []string{"00004"}, total: 1},
		{name: "level filter: provinces",
			q:     geo.Query{Level: geo.LevelProvince, Text: "ha"},
			first: "01", checkRest: func(h geo.Unit) bool { return h.Level == geo.LevelProvince }},
		{name: "level filter: communes",
			q:    geo.Query{Level: geo.LevelCommune, Text: "tay ninh"},
			want: []string{"22552", "12919"}, total: 2},
		{name: "unknown province", q: geo.Query{Province: "99"}, want: []string{}, total: 0},
		{name: "an old province code is no filter", q: geo.Query{Province: "02"}, want: []string{}, total: 0},
		{name: "unknown level", q: geo.Query{Level: "district"}, want: []string{}, total: 0},
		{name: "empty text lists all provinces by code",
			q: geo.Query{Level: geo.LevelProvince, Limit: 100}, first: "01", total: 34,
			checkRest: func(h geo.Unit) bool { return h.Level == geo.LevelProvince }},
		{name: "empty text lists a province and its communes",
			q: geo.Query{Province: "48", Limit: 100}, first: "48", total: 1 + len(geo.Default().Communes("48")),
			checkRest: func(h geo.Unit) bool { return h.Province == "48" }},
		{name: "empty text, no filter: everything", q: geo.Query{}, first: "01", total: 3355},
		{name: "punctuation alone is empty text", q: geo.Query{Text: " -, "}, first: "01", total: 3355},
	}
	u := geo.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, total := u.Search(tt.q)
			if hits == nil {
				t.Errorf("Search(%+v) returned nil hits; want an empty list", tt.q)
			}
			if tt.want != nil && !slices.Equal(codes(hits), tt.want) {
				t.Errorf("Search(%+v) found %v, want %v", tt.q, codes(hits), tt.want)
			}
			if tt.first != "" && (len(hits) == 0 || hits[0].Code != tt.first) {
				t.Errorf("Search(%+v) found %v first, want %s", tt.q, codes(hits), tt.first)
			}
			if (tt.want != nil || tt.total != 0) && total != tt.total {
				t.Errorf("Search(%+v) counted %d matches, want %d", tt.q, total, tt.total)
			}
			if total < len(hits) {
				t.Errorf("Search(%+v) counted %d matches but returned %d", tt.q, total, len(hits))
			}
			for _, h := range hits {
				if tt.checkRest != nil && !tt.checkRest(h) {
					t.Errorf("Search(%+v) found %s %s, which the filter excludes", tt.q, h.Code, h.FullName)
				}
			}
		})
	}
}

func TestSearchLimit(t *testing.T) {
	tests := []struct{ limit, want int }{
		{0, geo.DefaultLimit},
		{-1, geo.DefaultLimit},
		{5, 5},
		{100, 100},
		{1000, geo.MaxLimit},
	}
	u := geo.Default()
	for _, tt := range tests {
		hits, total := u.Search(geo.Query{Text: "phuong", Limit: tt.limit})
		if len(hits) != tt.want {
			t.Errorf("limit %d gave %d hits, want %d", tt.limit, len(hits), tt.want)
		}
		if total < 500 {
			t.Errorf("limit %d: %d wards counted in all, want the total, not the page", tt.limit, total)
		}
	}
}

// The page is the first part of the full ranking, whatever the limit.
func TestSearchPagesAreConsistent(t *testing.T) {
	u := geo.Default()
	for _, text := range []string{"a", "son", "phuong", "xa tan", ""} {
		all, total := u.Search(geo.Query{Text: text, Limit: geo.MaxLimit})
		few, total2 := u.Search(geo.Query{Text: text, Limit: 7})
		if total != total2 || !slices.Equal(codes(few), codes(all)[:len(few)]) {
			t.Errorf("%q: 7 hits %v are not the start of 100 hits %v (totals %d, %d)", text, codes(few), codes(all)[:7], total2, total)
		}
	}
}

func codes(units []geo.Unit) []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = u.Code
	}
	return out
}

// searchQueries mixes what people type: names with and without marks,
// prefixes, single letters that match hundreds of units, codes and filters.
var searchQueries = []geo.Query{
	{Text: "ba dinh"},
	{Text: "Phường Ba Đình"},
	{Text: "dinh ba"},
	{Text: "a"},
	{Text: "x"},
	{Text: "phuong"},
	{Text: "xa tan"},
	{Text: "thanh pho ho chi minh"},
	{Text: "nguyen hue"},
	{Text: "zzz"},
	{Text: "0"},
	{Text: "01"},
	{Text: "00004"},
	{},
	{Level: geo.LevelProvince},
	{Province: "79", Text: "phuong"},
	{Level: geo.LevelCommune, Text: "son", Limit: 100},
}

func BenchmarkSearch(b *testing.B) {
	u := geo.Default()
	for _, q := range searchQueries {
		b.Run(fmt.Sprintf("%q/%s/%s", q.Text, q.Level, q.Province), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				u.Search(q)
			}
		})
	}
}

// BenchmarkSearchP99 reports the 99th percentile of single searches over the
// query mix, which is what a person typing in a search box feels.
func BenchmarkSearchP99(b *testing.B) {
	u := geo.Default()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		u.Search(searchQueries[i%len(searchQueries)])
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}

package match_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"treem/internal/dates"
	"treem/internal/ident"
	"treem/internal/match"
)

func day(y, m, d int) dates.Date {
	return dates.Date{Year: y, Month: m, Day: d, Precision: dates.Day}
}

// registry is a small index with names chosen to tell the rules apart.
func registry(t *testing.T) *match.Index {
	t.Helper()
	ix := match.New()
	for _, r := range []match.Record{
		{ID: 1, Name: "Nguyễn Văn An", DOB: day(2016, 5, 7), Sex: ident.Male, Commune: "00004", PID: "001216012345", Phone: "0912345678", Groups: 1 << 3},
		{ID: 2, Name: "Nguyễn Văn Ân", DOB: day(2015, 1, 2), Sex: ident.Male, Commune: "00008"},
		{ID: 3, Name: "Lò Thị Mai", DOB: day(2016, 5, 5), Sex: ident.Female, Commune: "00004", Groups: 1 << 0},
		{ID: 4, Name: "Trần Thị Ngọc Hân", DOB: dates.Date{Year: 2012, Precision: dates.Year, Estimated: true}, Sex: ident.Female, Commune: "25747"},
		{ID: 5, Name: "Nguyen Van An", DOB: day(2010, 3, 9), Sex: ident.Male, Commune: "25750"},
		{ID: 6, Name: "Y Bih Niê", DOB: day(2014, 8, 1), Sex: ident.Male, Commune: "22015", Phone: "0987654321"},
		{ID: 7, Name: "Phạm Khuê", DOB: day(2018, 11, 20), Sex: ident.Female, Commune: "00097"},
		{ID: 8, Name: "Nguyễn An", DOB: day(2016, 5, 7), Sex: ident.Male, Commune: "00025"},
	} {
		ix.Upsert(r)
	}
	return ix
}

func ids(hits []match.Hit) []int64 {
	out := make([]int64, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

// Count answers as Search would count an empty text, in every scope, and
// follows moves and removals.
func TestCountInEachScope(t *testing.T) {
	ix := registry(t)
	for _, c := range []struct {
		scope match.Scope
		want  int
	}{
		{match.Scope{}, 8},
		{match.Scope{Province: "01"}, 5},
		{match.Scope{Province: "79"}, 2},
		{match.Scope{Commune: "00004"}, 2},
		{match.Scope{Province: "01", Commune: "00004"}, 2},
		{match.Scope{Province: "79", Commune: "00004"}, 0},
		{match.Scope{Commune: "99999"}, 0},
		{match.Scope{Province: "00"}, 0},
	} {
		_, total := ix.Search(match.Query{Scope: c.scope})
		if got := ix.Count(c.scope); got != c.want || total != c.want {
			t.Errorf("Count(%+v) = %d, Search counts %d, want %d", c.scope, got, total, c.want)
		}
	}
	ix.Upsert(match.Record{ID: 3, Name: "Lò Thị Mai", Commune: "25747"})
	ix.Delete(1)
	if hn, hcm, ba := ix.Count(match.Scope{Province: "01"}), ix.Count(match.Scope{Province: "79"}), ix.Count(match.Scope{Commune: "00004"}); hn != 3 || hcm != 3 || ba != 0 {
		t.Fatalf("after a move and a removal: Hà Nội %d, Hồ Chí Minh City %d, 00004 %d; want 3, 3, 0", hn, hcm, ba)
	}
}

func TestUpsertReplacesAndDeleteRemoves(t *testing.T) {
	ix := registry(t)
	if ix.Len() != 8 {
		t.Fatalf("Len = %d, want 8", ix.Len())
	}
	got, ok := ix.Get(1)
	want := match.Record{ID: 1, Name: "Nguyễn Văn An", DOB: day(2016, 5, 7), Sex: ident.Male, Commune: "00004",
		PID: "001216012345", Phone: "0912345678", Groups: 1 << 3}
	if !ok || got != want {
		t.Fatalf("Get(1) = %+v, %v; want %+v", got, ok, want)
	}
	ix.Upsert(match.Record{ID: 1, Name: "Nguyễn Văn Bình Minh", Commune: "00008"})
	if ix.Len() != 8 {
		t.Fatalf("replacing record 1 changed Len to %d", ix.Len())
	}
	if hits, _ := ix.Search(match.Query{Text: "Bình Minh"}); !slices.Equal(ids(hits), []int64{1}) {
		t.Errorf("after renaming, Bình Minh finds %v", ids(hits))
	}
	if hits, _ := ix.Search(match.Query{Text: "001216012345"}); len(hits) != 0 {
		t.Errorf("the replaced record's old ID number still finds %v", ids(hits))
	}
	ix.Delete(1)
	ix.Delete(1) // twice is harmless
	if _, ok := ix.Get(1); ok || ix.Len() != 7 {
		t.Fatalf("after Delete(1): Get ok=%v, Len=%d", ok, ix.Len())
	}
	if hits, _ := ix.Search(match.Query{Text: "Bình Minh"}); len(hits) != 0 {
		t.Errorf("a deleted record is still found: %v", ids(hits))
	}
	ix.Upsert(match.Record{ID: 42, Name: "Lò Văn Pấng", Commune: "00004"}) // reuses the freed slot
	if hits, _ := ix.Search(match.Query{Text: "lo van pang", Scope: match.Scope{Commune: "00004"}}); !slices.Equal(ids(hits), []int64{42}) {
		t.Errorf("a record in a reused slot: got %v", ids(hits))
	}
}

func TestSearchIgnoresDiacriticsCaseAndOrder(t *testing.T) {
	ix := registry(t)
	for _, q := range []string{"Nguyen Van An", "AN NGUYỄN VĂN", "an nguyen van", "Văn An Nguyễn"} {
		hits, total := ix.Search(match.Query{Text: q})
		if got := ids(hits); !slices.Contains(got, 1) || !slices.Contains(got, 5) || !slices.Contains(got, 2) {
			t.Errorf("%q finds %v, want 1, 2 and 5 among them", q, got)
		}
		if total != len(hits) {
			t.Errorf("%q: total %d for %d hits", q, total, len(hits))
		}
	}
}

func TestSearchExactDiacriticsRankFirst(t *testing.T) {
	ix := registry(t)
	hits, _ := ix.Search(match.Query{Text: "Nguyễn Văn Ân"})
	if len(hits) < 3 || hits[0].ID != 2 {
		t.Fatalf("Nguyễn Văn Ân: %v, want record 2 (same diacritics) first", hits)
	}
	hits, _ = ix.Search(match.Query{Text: "Nguyen Van An"})
	if hits[0].ID != 5 {
		t.Errorf("Nguyen Van An: %v, want record 5 (written without diacritics) first", hits)
	}
}

func TestSearchToleratesTyposAndAMissingMiddleName(t *testing.T) {
	ix := registry(t)
	for _, tc := range []struct {
		q    string
		want int64
	}{
		{"Tran Ngoc Han", 4},      // middle name Thị left out
		{"Trần Thi Ngọc Hn", 4},   // typo in the given name
		{"Tranf Thị Ngoc Han", 4}, // typo in the family name
		{"Phạm Khue", 7},
		{"Pham Khuee", 7},
		{"Y Bih Nie", 6},
		{"Nguyễn An", 1}, // a record with a middle name the query lacks
		{"Lò Thị Ma", 3}, // the last word as typed so far
	} {
		hits, _ := ix.Search(match.Query{Text: tc.q})
		if !slices.Contains(ids(hits), tc.want) {
			t.Errorf("%q finds %v, want %d among them", tc.q, ids(hits), tc.want)
		}
	}
}

func TestSearchByIDNumberAndPhone(t *testing.T) {
	ix := registry(t)
	for _, q := range []string{"001216012345", "001 216 012 345", "0912345678", "+84 912 345 678", "0912.345.678"} {
		if hits, total := ix.Search(match.Query{Text: q}); !slices.Equal(ids(hits), []int64{1}) || total != 1 {
			t.Errorf("%q finds %v (total %d), want record 1", q, ids(hits), total)
		}
	}
	if hits, _ := ix.Search(match.Query{Text: "0900000000"}); len(hits) != 0 {
		t.Errorf("an unknown phone finds %v", ids(hits))
	}
}

func TestSearchScopeAndFilters(t *testing.T) {
	ix := registry(t)
	for _, tc := range []struct {
		name string
		q    match.Query
		want []int64
	}{
		{"commune", match.Query{Text: "nguyen an", Scope: match.Scope{Commune: "00004"}}, []int64{1}},
		{"province", match.Query{Text: "nguyen an", Scope: match.Scope{Province: "01"}}, []int64{1, 2, 8}},
		{"other province", match.Query{Text: "nguyen an", Scope: match.Scope{Province: "79"}}, []int64{5}},
		{"unknown commune", match.Query{Text: "nguyen an", Scope: match.Scope{Commune: "99999"}}, nil},
		{"commune of another province", match.Query{Text: "nguyen an", Scope: match.Scope{Province: "79", Commune: "00004"}}, nil},
		{"group", match.Query{Text: "nguyen an", Groups: 1 << 3}, []int64{1}},
		{"age band", match.Query{Text: "nguyen an", BornFrom: day(2016, 1, 1), BornTo: day(2016, 12, 31)}, []int64{1, 8}},
		{"band holds a year-only date", match.Query{Text: "han", BornFrom: day(2012, 6, 1), BornTo: day(2013, 1, 1)}, []int64{4}},
		{"empty text, commune", match.Query{Scope: match.Scope{Commune: "00004"}}, []int64{1, 3}},
		{"empty text, province", match.Query{Scope: match.Scope{Province: "01"}}, []int64{1, 2, 3, 7, 8}},
		{"empty text, group", match.Query{Groups: 1}, []int64{3}},
	} {
		hits, total := ix.Search(tc.q)
		got := ids(hits)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) || total != len(tc.want) {
			t.Errorf("%s: got %v (total %d), want %v", tc.name, got, total, tc.want)
		}
	}
	hits, total := ix.Search(match.Query{Limit: 3})
	if !slices.Equal(ids(hits), []int64{1, 2, 3}) || total != 8 {
		t.Errorf("empty text, whole country, limit 3: %v total %d; want [1 2 3] of 8", ids(hits), total)
	}
}

func TestMatchWeighsEveryField(t *testing.T) {
	ix := registry(t)
	for _, tc := range []struct {
		name    string
		c       match.Candidate
		want    int64
		verdict string
		reasons []string
	}{
		{"same child, typed differently", match.Candidate{Name: "NGUYEN VAN AN", DOB: day(2016, 5, 7), Sex: ident.Male, Commune: "00004"},
			1, match.VerdictLikely, []string{"name_exact", "dob_exact", "sex", "commune"}},
		{"day and month swapped, old commune code", match.Candidate{Name: "Nguyễn Văn An", DOB: day(2016, 7, 5), OldCommune: "00004"},
			1, match.VerdictLikely, []string{"name_exact", "dob_swapped", "commune"}},
		{"ID number alone", match.Candidate{PID: "001216012345"}, 1, match.VerdictLikely, []string{"pid"}},
		{"typo, year only", match.Candidate{Name: "Pham Khuee", DOB: dates.Date{Year: 2018, Precision: dates.Year}, Commune: "00097"},
			7, match.VerdictLikely, []string{"name_typo", "dob_year", "commune"}},
		{"Ê Đê name, phone", match.Candidate{Name: "Y Bih Nie", Phone: "0987654321", DOB: dates.Date{Year: 2014, Month: 8, Precision: dates.Month}},
			6, match.VerdictLikely, []string{"name_exact", "dob_month", "phone"}},
	} {
		got := ix.Match(tc.c, match.Scope{}, 10)
		if len(got) == 0 || got[0].ID != tc.want {
			t.Errorf("%s: got %+v, want record %d first", tc.name, got, tc.want)
			continue
		}
		if got[0].Verdict != tc.verdict {
			t.Errorf("%s: verdict %s (score %.3f), want %s", tc.name, got[0].Verdict, got[0].Score, tc.verdict)
		}
		for _, r := range tc.reasons {
			if !slices.Contains(got[0].Reasons, r) {
				t.Errorf("%s: reasons %v lack %s", tc.name, got[0].Reasons, r)
			}
		}
	}
}

func TestMatchIsNotFooledByABrother(t *testing.T) {
	ix := registry(t)
	// Same family, commune, phone and date of birth (a twin), another name.
	got := ix.Match(match.Candidate{Name: "Nguyễn Văn Bình", DOB: day(2016, 5, 7), Sex: ident.Male, Commune: "00004", Phone: "0912345678"}, match.Scope{}, 10)
	for _, m := range got {
		if m.Verdict == match.VerdictLikely {
			t.Errorf("a twin with another given name is a likely match: %+v", m)
		}
	}
	// A different ID number outweighs a common name.
	got = ix.Match(match.Candidate{Name: "Nguyễn Văn An", PID: "001216099999"}, match.Scope{}, 10)
	for _, m := range got {
		if m.ID == 1 && m.Verdict == match.VerdictLikely {
			t.Errorf("record 1 with another ID number is a likely match: %+v", m)
		}
	}
}

func TestMatchStaysInScope(t *testing.T) {
	ix := registry(t)
	c := match.Candidate{Name: "Nguyễn Văn An", DOB: day(2016, 5, 7)}
	for _, m := range ix.Match(c, match.Scope{Province: "79"}, 10) {
		if r, _ := ix.Get(m.ID); r.Commune != "25747" && r.Commune != "25750" {
			t.Errorf("a match outside the scope: %+v", m)
		}
	}
	if got := ix.Match(c, match.Scope{Commune: "00004"}, 10); len(got) != 1 || got[0].ID != 1 || got[0].Commune != "00004" {
		t.Errorf("in commune 00004: %+v, want record 1 alone", got)
	}
}

// TestConcurrentUse runs searches and matches while records change; run
// with -race.
func TestConcurrentUse(t *testing.T) {
	ix := registry(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				if g == 0 {
					id := int64(100 + i%50)
					ix.Upsert(match.Record{ID: id, Name: fmt.Sprintf("Nguyễn Văn An %d", i), Commune: "00004"})
					if i%7 == 0 {
						ix.Delete(id)
					}
					continue
				}
				ix.Search(match.Query{Text: "Nguyen An"})
				ix.Match(match.Candidate{Name: "Nguyen Van An", Commune: "00004"}, match.Scope{}, 10)
			}
		}()
	}
	wg.Wait()
	if _, total := ix.Search(match.Query{}); total != ix.Len() {
		t.Errorf("empty search counts %d, Len is %d", total, ix.Len())
	}
}

// A caller that keeps phones only as keyed hashes (the registry) gives
// PhoneKeys: equal keys agree as a phone does, and a key is never shown.
func TestMatchByPhoneKey(t *testing.T) {
	ix := match.New()
	key := func(s string) string {
		h := make([]byte, 32)
		copy(h, s)
		return match.PhoneKey(h)
	}
	ix.Upsert(match.Record{ID: 1, Name: "Y Bih Niê", DOB: day(2014, 8, 1), Sex: ident.Male, Commune: "22015", Phone: key("phone one")})
	ix.Upsert(match.Record{ID: 2, Name: "Y Bih Niê", DOB: day(2014, 8, 1), Sex: ident.Male, Commune: "22015", Phone: key("phone two")})
	got := ix.Match(match.Candidate{Name: "Y Bih Nie", Phone: key("phone two")}, match.Scope{}, 10)
	if len(got) < 2 || got[0].ID != 2 || !slices.Contains(got[0].Reasons, "phone") {
		t.Fatalf("the record with the same phone key is not first with the phone as a reason: %+v", got)
	}
	if slices.Contains(got[1].Reasons, "phone") {
		t.Errorf("another key agreed as a phone: %+v", got[1])
	}
	if r, ok := ix.Get(2); !ok || r.Phone != "" {
		t.Errorf("a phone key is shown back: %+v", r)
	}
}

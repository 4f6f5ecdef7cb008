package i18n_test

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"treem/internal/i18n"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	b := i18n.MustLoad()
	for _, lang := range i18n.Languages {
		for _, other := range i18n.Languages {
			for _, k := range b.Keys(lang) {
				if !b.Has(other, k) {
					t.Errorf("%q is in %s but not in %s", k, lang, other)
				}
			}
		}
	}
}

// A message uses the same {names} in every language, or one of them shows
// a raw placeholder or drops a value.
func TestPlaceholdersAgree(t *testing.T) {
	b := i18n.MustLoad()
	vi, en := b.For("vi"), b.For("en")
	re := regexp.MustCompile(`\{[a-z_]+\}`)
	names := func(msg string) string {
		ps := re.FindAllString(msg, -1)
		sort.Strings(ps)
		return strings.Join(slices.Compact(ps), ",")
	}
	for _, k := range b.Keys("vi") {
		if a, e := names(vi.T(k)), names(en.T(k)); a != e {
			t.Errorf("%s: placeholders differ: vi %q, en %q", k, a, e)
		}
	}
}

func TestMissingKeyIsMarked(t *testing.T) {
	if got := i18n.MustLoad().For("vi").T("no.such.key"); got != "⟦no.such.key⟧" {
		t.Fatalf("missing key rendered %q", got)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{i18n.Number(0), "0"},
		{i18n.Number(999), "999"},
		{i18n.Number(1000), "1.000"},
		{i18n.Number(1234567), "1.234.567"},
		{i18n.Number(-1234567), "-1.234.567"},
		{i18n.VND(429200000000), "429.200.000.000 ₫"},
		{i18n.Decimal(72.45, 1), "72,5"},
		{i18n.Decimal(1234.5, 1), "1.234,5"},
		{i18n.Date(time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)), "28/11/2026"}, // already the 28th in Vietnam
		{i18n.Match("en-US,en;q=0.9"), "en"},
		{i18n.Match("fr"), "vi"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

package i18n_test

import (
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

func TestPlaceholdersAgree(t *testing.T) {
	b := i18n.MustLoad()
	vi, en := b.For("vi"), b.For("en")
	// A message must use the same {names} in both languages, or one of them
	// shows a raw placeholder: fill the Vietnamese message's names, and no
	// brace may be left in either.
	for _, k := range b.Keys("vi") {
		args := map[string]any{}
		for _, name := range placeholders(vi.T(k)) {
			args[name] = "X"
		}
		for _, l := range []*i18n.Localizer{vi, en} {
			if out := l.T(k, args); strings.Contains(out, "{") && strings.Contains(out, "}") {
				t.Errorf("%s %s: unfilled placeholder in %q", l.Lang, k, out)
			}
		}
		if a, b := placeholders(vi.T(k)), placeholders(en.T(k)); strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%s: placeholders differ: vi %v, en %v", k, a, b)
		}
	}
}

// placeholders lists the {names} of a message, sorted and without repeats.
func placeholders(msg string) []string {
	seen := map[string]bool{}
	for {
		i := strings.IndexByte(msg, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(msg[i:], '}')
		if j < 0 {
			break
		}
		seen[msg[i+1:i+j]] = true
		msg = msg[i+j+1:]
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
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

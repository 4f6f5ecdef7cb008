package vntext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzToUnicode checks that ToUnicode never panics and always returns valid
// NFC UTF-8, and that Vietnamese Unicode built from the fuzz input (real
// words from the corpus, in varied case and normal form) passes through
// unchanged while its legacy encodings convert back.
func FuzzToUnicode(f *testing.F) {
	f.Add("Nguyễn Văn An")
	f.Add("NguyÔn V¨n An")
	f.Add("Nguyeãn Vaên An")
	f.Fuzz(func(t *testing.T, s string) {
		out, enc := ToUnicode(s)
		if !utf8.ValidString(out) {
			t.Fatalf("ToUnicode(%q) = %q: invalid UTF-8", s, out)
		}
		if !norm.NFC.IsNormalString(out) {
			t.Fatalf("ToUnicode(%q) = %q: not NFC", s, out)
		}
		if enc == Unicode && out != norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD")) {
			t.Fatalf("ToUnicode(%q) said Unicode but changed the text to %q", s, out)
		}
		_ = FromTCVN3(s)
		_ = FromVNI(s)
		_ = ToTCVN3(s)
		_ = ToVNI(s)

		v := vietnameseFrom(s)
		if v == "" {
			return
		}
		for _, in := range []string{v, norm.NFD.String(v)} {
			if got, enc := ToUnicode(in); enc != Unicode || got != v {
				t.Fatalf("Vietnamese Unicode %q: detected as %s, returned %q", in, enc, got)
			}
		}
		if got := FromVNI(ToVNI(v)); got != v {
			t.Fatalf("VNI round trip of %q: %q → %q", v, ToVNI(v), got)
		}
		if got := FromTCVN3(ToTCVN3(v)); strings.ToLower(got) != strings.ToLower(v) {
			t.Fatalf("TCVN3 round trip of %q: %q → %q", v, ToTCVN3(v), got)
		}
	})
}

var fuzzVocabulary = func() []string {
	seen := map[string]bool{}
	var words []string
	for _, set := range [][]string{legacyNames, legacyPlaces, legacyPhrases, legacyShort} {
		for _, s := range set {
			for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !legacyWordRune(r) }) {
				w = strings.ToLower(w)
				if !seen[w] {
					seen[w] = true
					words = append(words, w)
				}
			}
		}
	}
	return words
}()

// vietnameseFrom turns fuzz bytes into a text of real Vietnamese words:
// each byte pair picks a word and its case, a third byte the separator.
func vietnameseFrom(s string) string {
	var sb strings.Builder
	for i := 0; i+2 < len(s) && i < 60; i += 3 {
		w := fuzzVocabulary[(int(s[i])<<8|int(s[i+1]))%len(fuzzVocabulary)]
		switch s[i+2] % 3 {
		case 1:
			w = strings.ToUpper(w)
		case 2:
			r, n := utf8.DecodeRuneInString(w)
			w = strings.ToUpper(string(r)) + w[n:]
		}
		if sb.Len() > 0 {
			sb.WriteString([]string{" ", " ", ", ", "\n"}[s[i+2]/3%4])
		}
		sb.WriteString(w)
	}
	return sb.String()
}

package vntext

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// TestTCVN3CodeChart checks the VN3 table against the code chart of
// TCVN 5712:1993, written here row by row (0xA0–0xFF, "_" where VN3 assigns
// nothing or keeps the Latin-1 character) rather than vowel by vowel as in
// legacy_tables.go, so a transposed code shows up.
func TestTCVN3CodeChart(t *testing.T) {
	chart := []string{
		"_ĂÂÊÔƠƯĐăâêôơưđ_", // A0
		"_____àảãáạ_ằẳẵắ_", // B0
		"______ặầẩẫấậè_ẻẽ", // C0
		"éẹềểễếệìỉ___ĩíịò", // D0
		"_ỏõóọồổỗốộờởỡớợù", // E0
		"_ủũúụừửữứựỳỷỹýỵ_", // F0
	}
	assigned := 0
	for row, line := range chart {
		for col, want := range []rune(line) {
			code := rune(0xA0 + 16*row + col)
			got, ok := tcvn3Decode(code)
			if want == '_' {
				if ok {
					t.Errorf("VN3 code %#x decodes to %q, but the standard leaves it unassigned", code, got)
				}
				continue
			}
			assigned++
			if !ok || got != want {
				t.Errorf("VN3 code %#x decodes to %q, want %q", code, got, want)
			}
			if enc := ToTCVN3(string(want)); enc != string(code) {
				t.Errorf("ToTCVN3(%q) = %q, want code %#x", want, enc, code)
			}
		}
	}
	if assigned != 74 { // 67 lowercase letters and 7 capitals; NBSP is not a letter
		t.Errorf("VN3 chart has %d letters, the standard has 74", assigned)
	}
}

// allLetters returns the 134 Vietnamese letters: 12 vowels × 6 tones and đ,
// in lowercase then uppercase.
func allLetters() []rune {
	var lower []rune
	for _, row := range vowelRows {
		lower = append(lower, row.uni[:]...)
	}
	lower = append(lower, 'đ')
	all := append([]rune(nil), lower...)
	for _, r := range lower {
		all = append(all, unicode.ToUpper(r))
	}
	return all
}

func TestEveryLetterRoundTrips(t *testing.T) {
	letters := allLetters()
	if len(letters) != 146 {
		t.Fatalf("%d letters, want 146 (73 lowercase including plain vowels and đ, and their capitals)", len(letters))
	}
	for _, r := range letters {
		l := string(r)
		if got := FromVNI(ToVNI(l)); got != l {
			t.Errorf("VNI: %q → %q → %q", l, ToVNI(l), got)
		}
		// In the middle of a word written in small letters, and in a word
		// written in capitals, VN3's missing capitals are unambiguous.
		word := "b" + l + "n"
		if unicode.IsUpper(r) {
			word = "BB" + l + "N"
		}
		if got := FromTCVN3(ToTCVN3(word)); got != word {
			t.Errorf("TCVN3: %q → %q → %q", word, ToTCVN3(word), got)
		}
	}
}

func TestVNISequences(t *testing.T) {
	tests := []struct{ vni, want string }{
		{"Nguyeãn Vaên An", "Nguyễn Văn An"},
		{"Tröôøng Thò Höông", "Trường Thị Hương"},
		{"Ñaëng Quoác Baûo", "Đặng Quốc Bảo"},
		{"Huyønh Ngoïc Quyønh", "Huỳnh Ngọc Quỳnh"},
		{"Leâ Thò Yù", "Lê Thị Ý"},
		{"NGUYEÃN THÒ AÙNH", "NGUYỄN THỊ ÁNH"},
		{"ÑOÃ VAÊN ÖÔÙC", "ĐỖ VĂN ƯỚC"},
		{"Aùnh", "Ánh"}, // capital base, small mark
		{"Kyø thi, quyeån saùch", "Kỳ thi, quyển sách"},
		{"Vó, Tæ, Ló", "Vĩ, Tỉ, Lĩ"},
		{"Phöôùc Thaïnh, Thuaän Tieán", "Phước Thạnh, Thuận Tiến"},
		{"Khoûe, khuyeán, nguyeät", "Khỏe, khuyến, nguyệt"},
		{"ù ø", "ù ø"}, // a mark with no base stays
	}
	for _, tt := range tests {
		if got := FromVNI(tt.vni); got != tt.want {
			t.Errorf("FromVNI(%q) = %q, want %q", tt.vni, got, tt.want)
		}
	}
}

func TestTCVN3Capitals(t *testing.T) {
	tests := []struct{ tcvn3, want string }{
		{"NguyÔn V¨n An", "Nguyễn Văn An"},
		{"NGUYÔN V¡N AN", "NGUYỄN VĂN AN"},
		{"Hå ChÝ Minh", "Hồ Chí Minh"},
		{"Hå", "Hồ"},                         // title case: one capital, then a toned vowel
		{"HÅ", "HÅ"},                         // 0xC5 is no VN3 code
		{"L£ THÞ ý", "LÊ THỊ Ý"},             // a cell all in capitals
		{"§ç", "Đỗ"},                         // Đ has a code, ỗ does not: title case
		{"§ç V¡N", "ĐỖ VĂN"},                 // … unless the cell is in capitals
		{"NguyÔn ThÞ ¸nh", "Nguyễn Thị Ánh"}, // inside a run of names
		{"¸nh", "Ánh"},                       // start of a cell
		{"x· øng Hße", "xã Ứng Hòe"},         // after an administrative unit
		{"Em ë víi «ng bµ", "Em ở với ông bà"},
		{"Hoµn c¶nh: ë víi bµ. ë nhµ mét m×nh", "Hoàn cảnh: ở với bà. Ở nhà một mình"},
		{"Lª ¸nh\n¸nh S¸ng\tbµ ¸nh", "Lê Ánh\nÁnh Sáng\tbà ánh"},
		{"Nguyễn Hµ", "Nguyễn Hà"}, // a Unicode word in a legacy cell is kept
		{`3,¸nh S¸ng,"Em ë víi bµ",x· øng Hße, huyÖn ¢n Thi`, `3,Ánh Sáng,"Em ở với bà",xã Ứng Hòe, huyện Ân Thi`}, // CSV cells
	}
	for _, tt := range tests {
		if got := FromTCVN3(tt.tcvn3); got != tt.want {
			t.Errorf("FromTCVN3(%q) = %q, want %q", tt.tcvn3, got, tt.want)
		}
	}
}

func legacyCorpusSets() map[string][]string {
	return map[string][]string{
		"names (3+ words)": legacyNames,
		"addresses":        legacyPlaces,
		"notes":            legacyPhrases,
	}
}

// TestDetectLegacyCorpus encodes every corpus entry and checks that
// detection names the encoding and conversion gives the original back, cell
// by cell and for each set joined as a column.
//
// A cell may only be missed when it is undecidable: every word of its legacy
// form is itself a Vietnamese syllable ("Khóc Thõa Dô" is TCVN3 for "Khúc
// Thừa Dụ"). Such a cell is left unchanged, never garbled, and its column
// converts it.
func TestDetectLegacyCorpus(t *testing.T) {
	total := 0
	for name, set := range legacyCorpusSets() {
		total += len(set)
		for _, enc := range []Encoding{TCVN3, VNI} {
			ok := 0
			var column []string
			for _, s := range set {
				legacy := encodeAs(enc, s)
				column = append(column, legacy)
				got, det := ToUnicode(legacy)
				switch {
				case det == enc && got == s:
					ok++
				case det == Unicode && got == legacy && undecidable(legacy):
					t.Logf("%s %s: %q → %q is undecidable alone, left unchanged", name, enc, s, legacy)
				default:
					t.Errorf("%s %s: %q → %q detected as %s, converted to %q", name, enc, s, legacy, det, got)
				}
			}
			t.Logf("%-17s %-5s cells detected and restored: %d/%d (%.1f%%)", name, enc, ok, len(set), 100*float64(ok)/float64(len(set)))
			if det := DetectLegacy(strings.Join(column, "\n")); det != enc {
				t.Errorf("%s joined as a %s column detected as %s", name, enc, det)
			}
			for i, c := range column {
				if got := convertFrom(enc, c); got != set[i] {
					t.Errorf("%s %s column cell %q converted to %q, want %q", name, enc, c, got, set[i])
				}
			}
		}
	}
	if total < 200 {
		t.Errorf("corpus has %d entries, want at least 200", total)
	}
	for _, enc := range []Encoding{TCVN3, VNI} {
		ok := 0
		for _, s := range legacyShort {
			if DetectLegacy(encodeAs(enc, s)) == enc {
				ok++
			}
		}
		t.Logf("two-word cells    %-5s detected: %d/%d (%.1f%%), not required", enc, ok, len(legacyShort), 100*float64(ok)/float64(len(legacyShort)))
	}
}

// undecidable reports whether every word of s reads as a Vietnamese
// syllable as it stands.
func undecidable(s string) bool {
	rs := []rune(s)
	for _, sp := range legacySplit(rs) {
		w := rs[sp.start:sp.end]
		if !sp.sep && strings.ContainsFunc(string(w), func(r rune) bool { return r >= 0x80 }) && !isSyllable(w, true) {
			return false
		}
	}
	return true
}

func convertFrom(enc Encoding, s string) string {
	if enc == TCVN3 {
		return FromTCVN3(s)
	}
	return FromVNI(s)
}

// TestDetectLegacyGeneratedNames measures detection on some 25,000 names
// combined from surnames, middle and given names, the given names chosen to
// be hard: short, starting with a toned vowel, or spelling another word in
// Unicode ("Cúc" is TCVN3 "Cóc", a Unicode word too). Unicode must pass
// through every time; legacy detection is measured against a floor.
func TestDetectLegacyGeneratedNames(t *testing.T) {
	sur := strings.Fields("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Tô Hà Mai Lò Ông Âu Ứng Khổng Lã Tạ Kha Cù Diệp Mẫn Ninh Thân Úc Doãn Lạc")
	mid := strings.Fields("Văn Thị Đức Hữu Minh Ngọc Thanh Quang Công Xuân Thu Kim Bảo Gia Đình Như Bá Trọng Phước Mỹ Tú Ý Ánh")
	giv := strings.Fields("An Ánh Bình Châu Chi Cường Dũng Duy Giang Hà Hải Hạnh Hiền Hiếu Hoa Hòa Hùng Hưng Hương Huyền " +
		"Khánh Khoa Lan Linh Loan Long Mai My Mỹ Nam Nga Ngân Nhung Oanh Phong Phúc Phương Quân Quỳnh Sơn Tâm Thảo " +
		"Thắng Thành Thủy Tiến Trang Trung Tú Tuấn Tùng Uyên Vân Việt Vy Yến Út Ổn Ẩn Ý Ấn Ước Lộc Tốt Mơ Tơ Nở Thơ " +
		"Lụa Đào Bé Nhỏ Cò Sáo Ót Ốc Mít Tí Tèo Đủ Chúc Cúc Mộc Đông Tý Hợi Ngọ Mùi Dần Mão Thìn Tỵ Dậu Tuất")
	var names []string
	for i, s := range sur {
		for j, m := range mid {
			for k, g := range giv {
				if (i+j+k)%3 == 0 {
					names = append(names, s+" "+m+" "+g)
				}
			}
		}
	}
	for _, enc := range []Encoding{TCVN3, VNI} {
		ok, n := 0, 0
		for _, name := range names {
			legacy := encodeAs(enc, name)
			if legacy == name {
				continue // no letter the encoding changes: nothing to detect
			}
			n++
			if got, det := ToUnicode(legacy); det == enc && got == name {
				ok++
			}
		}
		rate := float64(ok) / float64(n)
		t.Logf("generated names %-5s detected and restored: %d/%d (%.2f%%)", enc, ok, n, 100*rate)
		if rate < 0.975 {
			t.Errorf("generated %s names: %.2f%% detected, below the 97.5%% floor", enc, 100*rate)
		}
	}
	for _, name := range names {
		if got, det := ToUnicode(name); det != Unicode || got != name {
			t.Fatalf("Unicode name %q detected as %s, returned %q", name, det, got)
		}
	}
}

func encodeAs(enc Encoding, s string) string {
	if enc == TCVN3 {
		return ToTCVN3(s)
	}
	return ToVNI(s)
}

// TestRoundTripIsExact checks the converters alone, without detection,
// including the two-word cells.
func TestRoundTripIsExact(t *testing.T) {
	var all []string
	for _, set := range legacyCorpusSets() {
		all = append(all, set...)
	}
	all = append(all, legacyShort...)
	for _, s := range all {
		if got := FromVNI(ToVNI(s)); got != s {
			t.Errorf("VNI round trip: %q → %q → %q", s, ToVNI(s), got)
		}
		if got := FromTCVN3(ToTCVN3(s)); got != s {
			t.Errorf("TCVN3 round trip: %q → %q → %q", s, ToTCVN3(s), got)
		}
	}
}

// TestColumnDetection joins a column's cells, as importers should, so that
// cells too short to judge alone are converted with the rest.
func TestColumnDetection(t *testing.T) {
	for _, enc := range []Encoding{TCVN3, VNI} {
		var cells []string
		for _, s := range legacyShort {
			cells = append(cells, encodeAs(enc, s))
		}
		column := strings.Join(cells, "\n")
		if got := DetectLegacy(column); got != enc {
			t.Fatalf("column of two-word %s cells detected as %s", enc, got)
		}
		for i, c := range cells {
			if got := convertFrom(enc, c); got != legacyShort[i] {
				t.Errorf("%s cell %q converted to %q, want %q", enc, c, got, legacyShort[i])
			}
		}
	}
	if got := DetectLegacy(strings.Join(legacyShort, "\n")); got != Unicode {
		t.Errorf("Unicode column of two-word cells detected as %s", got)
	}
}

func TestUnicodeIsNotTakenForLegacy(t *testing.T) {
	var all []string
	for _, set := range legacyCorpusSets() {
		all = append(all, set...)
	}
	all = append(all, legacyShort...)
	for _, s := range all {
		for form, in := range map[string]string{"NFC": s, "NFD": norm.NFD.String(s)} {
			got, enc := ToUnicode(in)
			if enc != Unicode || got != s {
				t.Errorf("Unicode %s %q: detected as %s, returned %q", form, s, enc, got)
			}
		}
	}
	if enc := DetectLegacy(strings.Join(all, "\n")); enc != Unicode {
		t.Errorf("whole Unicode corpus detected as %s", enc)
	}
}

// latin1Texts are Western European words and phrases whose accented letters
// are also TCVN3 or VNI codes.
var latin1Texts = []string{
	"café", "naïve", "Müller", "São Paulo", "Nguyen Van An", "Nguyen Thi Minh Khai",
	"Où est la gare ?", "crème brûlée", "Zürich", "Bjørk", "François", "déjà vu",
	"El Niño", "Señor", "Málaga", "Göteborg", "Ærø", "Håkan", "Straße", "schön",
	"José", "João", "Conceição", "piñata", "über", "Köln", "Ça va", "garçon",
	"Noël", "Citroën", "Raúl", "Ångström", "Curaçao", "Reykjavík", "Þingvellir",
	"Ísland", "smørrebrød", "Österreich", "Fiancé", "résumé", "à la carte",
	"Mañana", "Açaí", "Düsseldorf", "Jürgen Müller", "Renée Zellweger", "Pokémon",
	"Beyoncé", "Hôtel de Ville", "Côte d'Ivoire", "Où ?", "Sí, señor", "¿Qué tal?",
	"Bär", "Öl", "año", "mí", "tú", "él", "Å", "Ø", "©2003 Müller & Söhne GmbH",
	"Total: 12,50 € – Prix TTC", "São Tomé e Príncipe", "Dvořák", "Łódź",
	"Crème de la crème", "Gérard Depardieu", "Ludwig van Beethoven", "Æsop",
}

func TestLatin1IsNotTakenForLegacy(t *testing.T) {
	for _, s := range latin1Texts {
		if got, enc := ToUnicode(s); enc != Unicode || got != norm.NFC.String(s) {
			t.Errorf("%q: detected as %s, returned %q", s, enc, got)
		}
	}
	if enc := DetectLegacy(strings.Join(latin1Texts, "\n")); enc != Unicode {
		t.Errorf("the Latin-1 list joined is detected as %s", enc)
	}
}

func TestDecodeBytes(t *testing.T) {
	cp1252 := func(s string) []byte {
		b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatalf("encode %q as Windows-1252: %v", s, err)
		}
		return b
	}
	utf16le := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return b
	}
	const csv = "Họ tên,Địa chỉ\nNguyễn Thị Ánh,\"Xã Ứng Hòe, huyện Ninh Giang\"\nTrần Văn Ổn,Ấp Bắc\n"
	tests := []struct {
		name string
		in   []byte
		want string
		enc  Encoding
	}{
		{"UTF-8", []byte(csv), csv, Unicode},
		{"UTF-8 with BOM", append(append([]byte(nil), utf8BOM...), csv...), csv, Unicode},
		{"UTF-8, NFD", []byte(norm.NFD.String(csv)), csv, Unicode},
		{"UTF-16LE with BOM", utf16le(csv), csv, Unicode},
		{"TCVN3 as Windows-1252 bytes", cp1252(ToTCVN3(csv)), csv, TCVN3},
		{"VNI as Windows-1252 bytes", cp1252(ToVNI(csv)), csv, VNI},
		{"TCVN3 saved as UTF-8", []byte(ToTCVN3(csv)), csv, TCVN3},
		{"VNI saved as UTF-8 with BOM", append(append([]byte(nil), utf8BOM...), ToVNI(csv)...), csv, VNI},
		{"French in Windows-1252", cp1252("Nom,Ville\nFrançois Müller,Zürich\nRenée,Besançon\n"), "Nom,Ville\nFrançois Müller,Zürich\nRenée,Besançon\n", Unicode},
	}
	for _, tt := range tests {
		got, enc, err := DecodeBytes(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want || enc != tt.enc {
			t.Errorf("%s: got %s %q, want %s %q", tt.name, enc, got, tt.enc, tt.want)
		}
	}
	for name, in := range map[string][]byte{
		"XLSX (zip)":          []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"),
		"UTF-16 without BOM":  utf16le(csv)[2:],
		"odd-length UTF-16LE": utf16le(csv)[:9],
	} {
		if _, _, err := DecodeBytes(in); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestEncodingString(t *testing.T) {
	for enc, want := range map[Encoding]string{Unicode: "unicode", TCVN3: "tcvn3", VNI: "vni", 9: "Encoding(9)"} {
		if got := enc.String(); got != want {
			t.Errorf("Encoding(%d).String() = %q, want %q", uint8(enc), got, want)
		}
	}
}

func TestSyllable(t *testing.T) {
	for _, w := range strings.Fields("nguyễn trường người khuya khuyên quốc quỳnh gì giữ nghiêng nguyệt thuở oanh huỳnh yến ương Ánh ÁNH") {
		if !isSyllable([]rune(w), true) {
			t.Errorf("%q is a Vietnamese syllable", w)
		}
	}
	for _, w := range strings.Fields("nguyôn ci ka ghu ngi chềc hãp ă uyô café paulo Ánh́ ÁnH tră") {
		if isSyllable([]rune(w), true) {
			t.Errorf("%q is no Vietnamese syllable", w)
		}
	}
	for _, w := range strings.Fields("nguyen truong nguoi phuc duong khoa") {
		if !asciiSyllable(w) {
			t.Errorf("%q is a Vietnamese syllable without diacritics", w)
		}
	}
}

// TestLegacyOutputIsNFC guards the promise made to callers storing names.
func TestLegacyOutputIsNFC(t *testing.T) {
	for _, s := range append(append([]string(nil), legacyNames...), latin1Texts...) {
		for _, in := range []string{s, ToTCVN3(s), ToVNI(s), norm.NFD.String(s)} {
			out, _ := ToUnicode(in)
			if !norm.NFC.IsNormalString(out) {
				t.Errorf("ToUnicode(%q) = %q is not NFC", in, out)
			}
		}
	}
	if !bytes.Equal([]byte(FromTCVN3("\xff")), []byte("\uFFFD")) {
		t.Errorf("FromTCVN3 of invalid UTF-8 = %q, want U+FFFD", FromTCVN3("\xff"))
	}
}

// vietnameseSyllables lists every syllable the detector accepts: each
// initial with each rhyme of the inventory and each tone on each vowel.
func vietnameseSyllables() []string {
	toned := map[rune][toneCount]rune{'đ': {'đ'}}
	for _, row := range vowelRows {
		toned[row.uni[0]] = row.uni
	}
	seen := map[string]bool{}
	var out []string
	for _, in := range syllableInitials {
		for rhyme := range syllableRhymes {
			base := []rune(in + rhyme)
			for pos, r := range base {
				for tone := 0; tone < toneCount; tone++ {
					if row, ok := toned[r]; !ok || (tone != toneNone && row[tone] == 0) {
						continue
					}
					w := append([]rune(nil), base...)
					w[pos] = toned[r][tone]
					if s := string(w); !seen[s] && isSyllable(w, true) {
						seen[s] = true
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

// TestNoSyllableScoresHigherAsLegacy proves, syllable by syllable, what
// makes Unicode text safe: a Vietnamese word written in Unicode never scores
// more as a TCVN3 or VNI reading than as itself, so a text of such words is
// never converted. Only words of Windows-1252 letters can be read as legacy.
func TestNoSyllableScoresHigherAsLegacy(t *testing.T) {
	all := vietnameseSyllables()
	checked := 0
	for _, s := range all {
		if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }) {
			continue // ASCII words are not scored
		}
		first, size := utf8.DecodeRuneInString(s)
		for _, w := range []string{s, strings.ToUpper(s), string(unicode.ToUpper(first)) + s[size:]} {
			rs := []rune(w)
			latin1 := true
			for _, r := range rs {
				latin1 = latin1 && inCP1252(r)
			}
			if !latin1 {
				continue
			}
			checked++
			for _, capitalised := range []bool{false, true} {
				var sc legacyScore
				sc.add(rs, false, capitalised)
				if sc.tcvn3 > sc.uni || sc.vni > sc.uni {
					t.Errorf("%q scores unicode %d, tcvn3 %d, vni %d", w, sc.uni, sc.tcvn3, sc.vni)
				}
			}
		}
	}
	t.Logf("%d syllables; %d spellings (lower, UPPER, Title) made only of Windows-1252 letters checked", len(all), checked)
}

// TestDetectLegacyIsLinear guards against a quadratic pass over one long
// line, as a file without newlines would be.
func TestDetectLegacyIsLinear(t *testing.T) {
	line := strings.Repeat(ToTCVN3("Nguyễn Thị Ánh Tuyết ")+"Hå ", 20000)
	start := time.Now()
	if got := DetectLegacy(line); got != TCVN3 {
		t.Fatalf("long TCVN3 line detected as %s", got)
	}
	if FromTCVN3(line) == "" {
		t.Fatal("empty conversion")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("detecting and converting 100,000 words took %v", d)
	}
}

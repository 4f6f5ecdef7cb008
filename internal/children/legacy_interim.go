package children

// INTERIM: a stand-in for vntext.ToUnicode and vntext.DecodeBytes, which
// are being written on main. Delete this file when they land and point the
// helpers in legacy.go at them.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tcvn3 maps the characters that TCVN3 (ABC) bytes show as, read as
// Latin-1, to the Vietnamese letters they stand for.
var tcvn3 = func() map[rune]rune {
	m := map[rune]rune{}
	pairs := []string{
		"µà", "¸á", "¶ả", "·ã", "¹ạ",
		"¨ă", "»ằ", "¾ắ", "¼ẳ", "½ẵ", "Æặ",
		"©â", "Çầ", "Êấ", "Èẩ", "Éẫ", "Ëậ",
		"®đ", "Ìè", "Ðé", "Îẻ", "Ïẽ", "Ñẹ",
		"ªê", "Òề", "Õế", "Óể", "Ôễ", "Öệ",
		"×ì", "Ýí", "Øỉ", "Üĩ", "Þị",
		"ßò", "ãó", "áỏ", "âõ", "äọ",
		"«ô", "åồ", "èố", "æổ", "çỗ", "éộ",
		"¬ơ", "êờ", "íớ", "ëở", "ìỡ", "îợ",
		"ïù", "óú", "ñủ", "òũ", "ôụ",
		"\u00adư", "õừ", "øứ", "öử", "÷ữ", "ùự",
		"úỳ", "ýý", "ûỷ", "üỹ", "þỵ",
		"¡Ă", "¢Â", "§Đ", "£Ê", "¤Ô", "¥Ơ", "¦Ư",
	}
	for _, p := range pairs {
		r := []rune(p)
		m[r[0]] = r[1]
	}
	return m
}()

// VNI writes a letter as its base and one following mark character.
var (
	vniSingle = map[rune]rune{'ô': 'ơ', 'Ô': 'Ơ', 'ö': 'ư', 'Ö': 'Ư', 'ñ': 'đ', 'Ñ': 'Đ',
		'æ': 'ỉ', 'Æ': 'Ỉ', 'ó': 'ĩ', 'Ó': 'Ĩ', 'ò': 'ị', 'Ò': 'Ị', 'î': 'ỵ', 'Î': 'Ỵ'}
	// mark → combining characters it adds, and the bases it goes with
	vniMarks = map[rune]struct {
		add   string
		bases string
	}{
		'ù': {"\u0301", "aeouyơư"}, 'ø': {"\u0300", "aeouyơư"}, 'û': {"\u0309", "aeouyơư"},
		'õ': {"\u0303", "aeouyơư"}, 'ï': {"\u0323", "aeouơư"},
		'â': {"\u0302", "aeo"}, 'á': {"\u0302\u0301", "aeo"}, 'à': {"\u0302\u0300", "aeo"},
		'å': {"\u0302\u0309", "aeo"}, 'ã': {"\u0302\u0303", "aeo"}, 'ä': {"\u0302\u0323", "aeo"},
		'ê': {"\u0306", "a"}, 'é': {"\u0306\u0301", "a"}, 'è': {"\u0306\u0300", "a"},
		'ú': {"\u0306\u0309", "a"}, 'ü': {"\u0306\u0303", "a"}, 'ë': {"\u0306\u0323", "a"},
	}
)

func tcvn3ToUnicode(s string) string {
	return strings.Map(func(r rune) rune {
		if u, ok := tcvn3[r]; ok {
			return u
		}
		return r
	}, s)
}

func vniToUnicode(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		base := r
		if u, ok := vniSingle[r]; ok {
			base = u
		}
		if i+1 < len(rs) {
			if m, ok := vniMarks[unicode.ToLower(rs[i+1])]; ok && strings.ContainsRune(m.bases, unicode.ToLower(base)) {
				b.WriteString(norm.NFC.String(string(base) + m.add))
				i++
				continue
			}
		}
		b.WriteRune(base)
	}
	return b.String()
}

// vietLetters are the letters of Vietnamese beyond ASCII, precomposed.
var vietLetters = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ" {
		m[r] = true
		m[unicode.ToUpper(r)] = true
	}
	return m
}()

// badness counts what makes s look unlike Vietnamese: characters that are
// no Vietnamese letter, words with two tone marks or an impossible vowel
// cluster, capitals inside a word.
func badness(s string) int {
	bad := 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == ',' || r == ';' || r == '/' }) {
		tones := 0
		lowerSeen := false
		for _, r := range w {
			if r >= 0x80 && !vietLetters[r] {
				bad += 2
			}
			if unicode.IsUpper(r) && lowerSeen {
				bad++
			}
			if unicode.IsLower(r) {
				lowerSeen = true
			}
		}
		var toneless strings.Builder
		toned := -1 // index, in toneless runes, of the letter with the tone
		n := 0
		for _, r := range norm.NFD.String(strings.ToLower(w)) {
			switch r {
			case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
				tones++
				toned = n - 1
			case '\u0302', '\u0306', '\u031b': // hats belong to their letter
				toneless.WriteRune(r)
			default:
				toneless.WriteRune(r)
				n++
			}
		}
		if tones > 1 {
			bad++
		}
		if !validVowels(norm.NFC.String(toneless.String()), toned) {
			bad++
		}
	}
	return bad
}

// nuclei are the vowel clusters a Vietnamese syllable may have, without tones.
var nuclei = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi
		ua uâ uê ui uô uơ uy ưa ưi ưu ươ yê iêu oai oay oao oeo uây uôi ươi ươu uya uyê uyu yêu`) {
		m[n] = true
	}
	return m
}()

func isVowel(r rune) bool { return strings.ContainsRune("aăâeêioôơuưy", r) }

// falling are the two-vowel clusters that, ending a syllable, carry the
// tone on their first vowel (tài, hảo, lấy, mía, gửi, mưa).
var falling = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields("ai ao au ay âu ây eo êu ia iu oi ôi ơi ui ưi ưu ưa ua") {
		m[n] = true
	}
	return m
}()

// validVowels checks each run of vowels of a toneless, lowercase word;
// toned is the index of the letter that had the tone (-1 for none).
func validVowels(w string, toned int) bool {
	rs := []rune(w)
	for i := 0; i < len(rs); {
		if !isVowel(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isVowel(rs[j]) {
			j++
		}
		run := rs[i:j]
		if i > 0 && len(run) > 1 && ((rs[i-1] == 'q' && run[0] == 'u') || (rs[i-1] == 'g' && run[0] == 'i')) {
			run = run[1:]
		}
		if !nuclei[string(run)] {
			return false
		}
		if j == len(rs) && len(run) == 2 && falling[string(run)] && toned == j-1 {
			return false // the tone sits on the wrong vowel: "maõ" is VNI for "mã"
		}
		i = j
	}
	return true
}

func interimToUnicode(s string) (string, legacyEncoding) {
	plain := true
	for _, r := range s {
		if r > 0xFF {
			return s, encUnicode // real Vietnamese letters: already Unicode
		}
		if r >= 0x80 {
			plain = false
		}
	}
	if plain {
		return s, encUnicode
	}
	b0 := badness(s)
	if b0 == 0 {
		return s, encUnicode
	}
	t, v := tcvn3ToUnicode(s), vniToUnicode(s)
	bt, bv := badness(t), badness(v)
	switch {
	case bt < b0 && bt <= bv:
		return t, encTCVN3
	case bv < b0:
		return v, encVNI
	}
	return s, encUnicode
}

func interimDecodeBytes(b []byte) (string, legacyEncoding, error) {
	if utf8.Valid(b) {
		s, enc := interimToUnicode(string(b))
		return s, enc, nil
	}
	// Not UTF-8: the bytes of a legacy font, one character each.
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	latin := string(rs)
	t, v := tcvn3ToUnicode(latin), vniToUnicode(latin)
	if badness(v) < badness(t) {
		return v, encVNI, nil
	}
	return t, encTCVN3, nil
}

package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// DetectLegacy guesses whether s is TCVN3 or VNI text read as Windows-1252
// look-alikes, or already Unicode. s may be one cell, or better a whole
// column or file joined with newlines: more words, surer guess.
//
// Each word is read three ways (as is, as TCVN3, as VNI) and each reading
// scores when it is a well-formed Vietnamese syllable, more when it is a
// syllable common in names and addresses, and more again when the raw text
// holds characters real text does not (a "¨" or "Ô" inside a word). A word
// holding a character outside Windows-1252 (ễ, ư, a combining mark) can only
// be Unicode. A legacy reading also loses a word whose case does not fit
// its cell: among capitalised words, a word starting small is plausible in
// TCVN3 only, and only with a toned vowel ("Phan Thanh æn" is "Ổn", not VNI
// "ỉn"), since VN3 has no capital for it. ASCII words that are no
// Vietnamese syllable ("street", "est") count against the legacy readings,
// so English or French text stays as is. A legacy encoding wins only with a
// clear lead; ties go to Unicode.
func DetectLegacy(s string) Encoding {
	var sc legacyScore
	rs := []rune(s)
	spans := legacySplit(rs)
	for _, cell := range legacyCells(rs, spans) {
		var words [][]rune
		var foreign []bool
		for _, sp := range spans[cell[0]:cell[1]] {
			if !sp.sep {
				words = append(words, rs[sp.start:sp.end])
				foreign = append(foreign, sp.foreign)
			}
		}
		starts := make([]int, len(words)) // +1 capital, -1 small, 0 unknown
		upper, lower := 0, 0
		for j, w := range words {
			starts[j] = wordStart(w)
			switch starts[j] {
			case 1:
				upper++
			case -1:
				lower++
			}
		}
		for j, w := range words {
			// The case of the other words of the cell.
			up, low := upper, lower
			switch starts[j] {
			case 1:
				up--
			case -1:
				low--
			}
			sc.add(w, foreign[j], up >= 1 && low == 0)
		}
	}
	t, v := sc.tcvn3-sc.foreign, sc.vni-sc.foreign
	switch {
	case t > v && t >= 2 && t > sc.uni:
		return TCVN3
	case v > t && v >= 2 && v > sc.uni:
		return VNI
	}
	return Unicode
}

// legacyCells cuts spans into cells, as index ranges that leave out the
// separator ending each cell. Cells end at a newline or tab (a column joined
// with newlines, a row of a tab-separated file) and at a CSV delimiter: a
// comma or semicolon, maybe with quotes, but no space, which would make it
// punctuation ("xã Tân Phú, huyện Củ Chi" is one cell).
func legacyCells(rs []rune, spans []legacySpan) [][2]int {
	var cells [][2]int
	start := 0
	for k, sp := range spans {
		if !sp.sep {
			continue
		}
		sep := string(rs[sp.start:sp.end])
		delim := strings.Trim(sep, `"`)
		if strings.ContainsAny(sep, "\n\r\t") || delim == "," || delim == ";" {
			cells = append(cells, [2]int{start, k})
			start = k + 1
		}
	}
	return append(cells, [2]int{start, len(spans)})
}

// wordStart says whether a word starts with a capital (+1), a small letter
// (-1), or cannot tell (0): a TCVN3 code for a toned vowel has no case.
func wordStart(w []rune) int {
	if d, ok := tcvn3Decode(w[0]); ok && legacyMaps.letters[d].tone != toneNone {
		return 0 // "ý" in "Vò ý ót" may be "Ý"
	}
	switch {
	case unicode.IsUpper(w[0]):
		return 1
	case unicode.IsLower(w[0]):
		return -1
	}
	return 0
}

// legacyScore sums the evidence for each reading of a text.
type legacyScore struct {
	uni, tcvn3, vni int
	foreign         int // ASCII words that are no Vietnamese syllable
}

// add scores one word; capitalised tells whether every other word of its
// cell starts with a capital.
func (sc *legacyScore) add(w []rune, unicodeOnly, capitalised bool) {
	if unicodeOnly {
		sc.uni += 3
		return
	}
	ascii := true
	for _, r := range w {
		if r >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// Capitals-only words are acronyms (UBND, HIV, TP), common in
		// Vietnamese sheets; they say nothing about the language.
		word := string(w)
		if len(w) >= 2 && word != strings.ToUpper(word) && !asciiSyllable(strings.ToLower(word)) {
			sc.foreign++
		}
		return
	}
	// A word that is a Vietnamese syllable as it stands scores at least as
	// much as itself as in any legacy reading: its Unicode reading ignores
	// the cell's case, and its legacy readings get no bonus. So text in
	// Unicode is never converted (TestNoSyllableScoresHigherAsLegacy).
	bonus := true
	if isSyllable(w, true) {
		weight := 2
		if len(w) == 1 {
			weight = 1 // as weak as a lone legacy vowel, see legacyWordScore
		}
		sc.uni += weight + commonBonus(w)
		bonus = false
	}
	odd := 0
	if oddAsText(w) {
		odd = 1
	}
	var t []rune
	complete := true
	for _, r := range w {
		d, ok := tcvn3Decode(r)
		if !ok {
			d = r
			complete = complete && r < utf8.RuneSelf
		}
		t = append(t, d)
	}
	sc.tcvn3 += legacyWordScore(t, complete, fitsCell(t, capitalised, true), bonus, odd)
	v, complete := vniDecode(nil, w)
	sc.vni += legacyWordScore(v, complete, fitsCell(v, capitalised, false), bonus, odd)
}

// fitsCell reports whether a reading d of a word may start small in its
// cell. Among capitalised words it may not, except in TCVN3 when it starts
// with a toned vowel, which VN3 can only write small.
func fitsCell(d []rune, capitalised, tcvn3 bool) bool {
	if !capitalised || !unicode.IsLower(d[0]) {
		return true
	}
	return tcvn3 && legacyMaps.letters[d[0]].tone != toneNone
}

// legacyWordScore scores one legacy reading d of a word: complete tells
// whether every non-ASCII character was a code of that encoding, fits
// whether its case suits the cell, bonus whether a common syllable counts
// extra, odd whether the raw word looked wrong as text.
func legacyWordScore(d []rune, complete, fits, bonus bool, odd int) int {
	common := 0
	if bonus {
		common = commonBonus(d)
	}
	switch {
	case !complete || !isSyllable(d, false):
		return -1
	case !fits:
		return 0
	case len(d) == 1:
		// A lone vowel is weak evidence ("Å" is not "ồ", "Où" not "Ó")
		// unless it is a name ("Ý").
		return 1 + common
	}
	return 2 + common + odd
}

// oddAsText reports whether a word looks wrong as real text: a Latin-1
// symbol among its letters ("V¨n"), or a capital after a small letter
// ("NguyÔn"). Both are everyday in TCVN3, unheard of in names.
func oddAsText(w []rune) bool {
	for i, r := range w {
		if r < 0xA0 {
			continue
		}
		if !unicode.IsLetter(r) {
			return true
		}
		if i > 0 && unicode.IsUpper(r) && unicode.IsLower(w[i-1]) {
			return true
		}
	}
	return false
}

func commonBonus(w []rune) int {
	return commonSyllables[strings.ToLower(string(w))]
}

// syllable reports whether w is one well-formed Vietnamese syllable:
// initial consonant, rhyme from the inventory below, at most one tone, and
// the rule that a syllable ending in p, t, c or ch takes only sắc or nặng. With
// strictCase, the word must also be written lower, Title or UPPER case; the
// legacy readings skip that test since VN3 cannot write toned capitals.
func isSyllable(w []rune, strictCase bool) bool {
	if len(w) == 0 {
		return false
	}
	if strictCase {
		upperRest := true
		lowerRest := true
		for _, r := range w[1:] {
			upperRest = upperRest && !unicode.IsLower(r)
			lowerRest = lowerRest && !unicode.IsUpper(r)
		}
		if !lowerRest && !(upperRest && unicode.IsUpper(w[0])) {
			return false
		}
	}
	var sb strings.Builder
	tone, tonePos := uint8(toneNone), -1
	for i, r := range w {
		li, ok := legacyMaps.letters[r]
		if !ok {
			return false
		}
		if li.tone != toneNone {
			if tone != toneNone {
				return false // two tones
			}
			tone, tonePos = li.tone, i
		}
		sb.WriteRune(li.base)
	}
	return splitSyllable(sb.String(), tone, tonePos, syllableRhymes)
}

// asciiSyllable is syllable for words typed without diacritics ("Nguyen"),
// matched against the rhyme inventory with hats and breves dropped.
func asciiSyllable(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return splitSyllable(w, toneNone, -1, asciiRhymes)
}

// syllableInitials are the Vietnamese initial consonants, longest first so "ngh"
// is tried before "ng" and "n"; "" is a syllable with no initial. Both "qu"
// and "q" are listed because the u of "qu" may belong to the rhyme.
var syllableInitials = []string{
	"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "q", "r", "s", "t", "v", "x", "",
}

// splitSyllable tries each initial on the toneless syllable s; tonePos is
// the rune index of the toned vowel, or -1.
func splitSyllable(s string, tone uint8, tonePos int, inventory map[string]bool) bool {
	for _, in := range syllableInitials {
		if !strings.HasPrefix(s, in) {
			continue
		}
		rest := s[len(in):]
		front := rest != "" && strings.ContainsRune("eêiy", []rune(rest)[0])
		switch in {
		case "c", "ng":
			if front {
				continue // written k, ngh before e, ê, i, y
			}
		case "k", "gh", "ngh":
			if !front {
				continue
			}
		case "q":
			if !strings.HasPrefix(rest, "u") {
				continue // "quỳnh" is q + uynh
			}
		}
		if !inventory[rest] {
			continue
		}
		stop := strings.HasSuffix(rest, "p") || strings.HasSuffix(rest, "t") ||
			strings.HasSuffix(rest, "c") || strings.HasSuffix(rest, "ch")
		if stop && (tone == toneGrave || tone == toneHook || tone == toneTilde) {
			continue
		}
		if tonePos >= 0 && !tonePlaced(rest, tonePos-utf8.RuneCountInString(in)) {
			continue
		}
		return true
	}
	return false
}

// tonePlaced reports whether a tone at rune index at of the rhyme sits on a
// vowel that can carry it: never on a closing glide ("au" is "áu", not "aú")
// and always on the hatted vowel of iê, uô, ươ, uâ, oă ("tuấn", "trường").
// Both the old ("hòa") and the new ("hoà") placement are accepted for oa,
// oe and uy.
func tonePlaced(rhyme string, at int) bool {
	v := []rune(rhyme)
	n := 0
	for n < len(v) && strings.ContainsRune("aăâeêioôơuưy", v[n]) {
		n++
	}
	if at < 0 || at >= n {
		return false
	}
	nucleus := string(v[:n])
	switch {
	case glideClusters[nucleus]:
		return at != n-1
	case strings.HasSuffix(nucleus, "iê"), strings.HasSuffix(nucleus, "yê"),
		nucleus == "uô", nucleus == "ươ", nucleus == "uâ", nucleus == "oă":
		return at == n-1
	}
	return true
}

var glideClusters = func() map[string]bool {
	m := make(map[string]bool)
	for _, v := range strings.Fields("ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu " +
		"iêu yêu oai oao oay oeo uây uôi ươi ươu uyu") {
		m[v] = true
	}
	return m
}()

// syllableRhymes is the inventory of toneless Vietnamese syllableRhymes (vowel nucleus plus
// final consonant); asciiRhymes is the same with diacritics dropped.
var syllableRhymes, asciiRhymes = buildRhymes()

func buildRhymes() (map[string]bool, map[string]bool) {
	const (
		needFinal = "ă â oă uâ iê yê uô ươ uyê" // and oo (xoong), left out: loans only
		mayFinal  = "a e ê i o ô ơ u ư oa oe uê uy"
		noFinal   = "y ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu uơ " +
			"iêu yêu oai oao oay oeo uây uôi ươi ươu uya uyu"
		palatalOnly = "a ê i oa uê uy" // the only nuclei before ch, nh
		noVelar     = "ê i uê uy ơ"    // never before c, ng
	)
	in := func(list, v string) bool {
		for _, x := range strings.Fields(list) {
			if x == v {
				return true
			}
		}
		return false
	}
	finals := strings.Fields("c ch m n ng nh p t")
	uni := make(map[string]bool)
	for _, v := range strings.Fields(noFinal) {
		uni[v] = true
	}
	for _, v := range strings.Fields(needFinal + " " + mayFinal) {
		if in(mayFinal, v) {
			uni[v] = true
		}
		for _, f := range finals {
			switch {
			case (f == "ch" || f == "nh") && !in(palatalOnly, v),
				(f == "c" || f == "ng") && in(noVelar, v):
				continue
			}
			uni[v+f] = true
		}
	}
	ascii := make(map[string]bool, len(uni))
	for r := range uni {
		ascii[Fold(r)] = true
	}
	return uni, ascii
}

// commonSyllables weighs syllables frequent in Vietnamese names and
// addresses: a reading that produces one ("Nguyeãn" read as VNI) is likelier
// than one that produces a rare syllable. The top tier, middle names and the
// largest clans, weighs double. Legacy readings get the bonus only for words
// that are no syllable as they stand, see legacyScore.add.
var commonSyllables = func() map[string]int {
	const top = "thị văn nguyễn trần lê phạm hoàng huỳnh đức hữu"
	const list = `
vũ võ đặng bùi đỗ hồ ngô dương lý đào
đoàn vương trịnh trương lâm mai tô hà quách lương cao tạ đinh lưu chu la
triệu kiều thái từ tăng lò lục hứa mạc khúc âu giáp nông hầu phan
minh ngọc thanh quang công xuân thu kim bảo gia đình
anh an bình châu chi cường dũng duy giang hải hạnh hiền hiếu hoa hòa hoà
hùng hưng hương huyền khánh khoa lan linh loan long my mỹ nam nga ngân
nhung oanh phong phúc phương quân quỳnh sơn tâm thảo thắng thành thủy thuỷ
thúy thuý tiến trang trung tú tuấn tùng uyên vân việt vy yến dung hằng lộc
như thư tư ý tài thịnh nhân nghĩa lợi phú quý vinh hậu hiệp huy khôi kiên
xã phường trấn huyện quận tỉnh phố thôn xóm ấp bản tổ khu đường số làng
nội sài gòn chí đà nẵng huế phòng cần thơ bắc đông tây tân thạnh
yên sóc ninh định nghệ tĩnh quảng trị lạng
`
	m := make(map[string]int)
	for _, w := range strings.Fields(list) {
		m[w] = 1
	}
	for _, w := range strings.Fields(top) {
		m[w] = 2
	}
	return m
}()

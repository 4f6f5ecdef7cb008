package vntext

import (
	"strings"
	"unicode"
)

// Tone numbers index the columns of vowelRows, in the order Vietnamese
// grammars and the TCVN 5712:1993 tables list them.
const (
	toneNone  = iota // thanh ngang
	toneAcute        // sắc
	toneGrave        // huyền
	toneHook         // hỏi
	toneTilde        // ngã
	toneDot          // nặng
	toneCount
)

// vowelRow is one Vietnamese vowel letter with its five toned forms, in
// Unicode and in the two legacy encodings. Only lowercase is written down:
// uppercase is derived (see buildLegacyTables) so the two cannot drift apart.
type vowelRow struct {
	uni   [toneCount]rune
	tcvn3 [toneCount]byte   // TCVN 5712:1993 VN3 code; ASCII for a plain vowel
	vni   [toneCount]string // VNI Windows: base letter, then one mark character
}

// vowelRows is the Vietnamese vowel inventory. The TCVN3 column follows the
// VN3 code table of TCVN 5712:1993 (the subset used by the .VnTime/ABC
// fonts: 67 lowercase letters and 7 capitals, no C0/C1 controls used). The
// VNI column follows the VNI Windows font layout, a vendor encoding with no
// national standard: one mark character after the base letter carries the
// hat or breve together with the tone (â is the hat, á à å ã ä the hat with
// a tone; ê is the breve, é è ú ü ë the breve with a tone; ù ø û õ ï are the
// tones alone), while ơ ư đ, the toned i and ỵ are single characters.
// Capitals use the Latin-1 capitals of the same characters ("AÙ" is Á).
var vowelRows = [...]vowelRow{
	{ // a
		uni:   [...]rune{'a', 'á', 'à', 'ả', 'ã', 'ạ'},
		tcvn3: [...]byte{'a', 0xB8, 0xB5, 0xB6, 0xB7, 0xB9},
		vni:   [...]string{"a", "aù", "aø", "aû", "aõ", "aï"},
	},
	{ // ă
		uni:   [...]rune{'ă', 'ắ', 'ằ', 'ẳ', 'ẵ', 'ặ'},
		tcvn3: [...]byte{0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6},
		vni:   [...]string{"aê", "aé", "aè", "aú", "aü", "aë"},
	},
	{ // â
		uni:   [...]rune{'â', 'ấ', 'ầ', 'ẩ', 'ẫ', 'ậ'},
		tcvn3: [...]byte{0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB},
		vni:   [...]string{"aâ", "aá", "aà", "aå", "aã", "aä"},
	},
	{ // e
		uni:   [...]rune{'e', 'é', 'è', 'ẻ', 'ẽ', 'ẹ'},
		tcvn3: [...]byte{'e', 0xD0, 0xCC, 0xCE, 0xCF, 0xD1},
		vni:   [...]string{"e", "eù", "eø", "eû", "eõ", "eï"},
	},
	{ // ê
		uni:   [...]rune{'ê', 'ế', 'ề', 'ể', 'ễ', 'ệ'},
		tcvn3: [...]byte{0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6},
		vni:   [...]string{"eâ", "eá", "eà", "eå", "eã", "eä"},
	},
	{ // i
		uni:   [...]rune{'i', 'í', 'ì', 'ỉ', 'ĩ', 'ị'},
		tcvn3: [...]byte{'i', 0xDD, 0xD7, 0xD8, 0xDC, 0xDE},
		vni:   [...]string{"i", "í", "ì", "æ", "ó", "ò"},
	},
	{ // o
		uni:   [...]rune{'o', 'ó', 'ò', 'ỏ', 'õ', 'ọ'},
		tcvn3: [...]byte{'o', 0xE3, 0xDF, 0xE1, 0xE2, 0xE4},
		vni:   [...]string{"o", "où", "oø", "oû", "oõ", "oï"},
	},
	{ // ô
		uni:   [...]rune{'ô', 'ố', 'ồ', 'ổ', 'ỗ', 'ộ'},
		tcvn3: [...]byte{0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9},
		vni:   [...]string{"oâ", "oá", "oà", "oå", "oã", "oä"},
	},
	{ // ơ
		uni:   [...]rune{'ơ', 'ớ', 'ờ', 'ở', 'ỡ', 'ợ'},
		tcvn3: [...]byte{0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE},
		vni:   [...]string{"ô", "ôù", "ôø", "ôû", "ôõ", "ôï"},
	},
	{ // u
		uni:   [...]rune{'u', 'ú', 'ù', 'ủ', 'ũ', 'ụ'},
		tcvn3: [...]byte{'u', 0xF3, 0xEF, 0xF1, 0xF2, 0xF4},
		vni:   [...]string{"u", "uù", "uø", "uû", "uõ", "uï"},
	},
	{ // ư
		uni:   [...]rune{'ư', 'ứ', 'ừ', 'ử', 'ữ', 'ự'},
		tcvn3: [...]byte{0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9},
		vni:   [...]string{"ö", "öù", "öø", "öû", "öõ", "öï"},
	},
	{ // y
		uni:   [...]rune{'y', 'ý', 'ỳ', 'ỷ', 'ỹ', 'ỵ'},
		tcvn3: [...]byte{'y', 0xFD, 0xFA, 0xFB, 0xFC, 0xFE},
		vni:   [...]string{"y", "yù", "yø", "yû", "yõ", "î"},
	},
}

// tcvn3Upper holds the only uppercase letters VN3 codes: the seven base
// letters that ASCII lacks. Uppercase toned vowels have no code in VN3; the
// .VnTime fonts leave them to the separate all-capital .VnTimeH fonts, which
// draw the lowercase codes as capitals.
var tcvn3Upper = map[rune]byte{
	'Ă': 0xA1, 'Â': 0xA2, 'Ê': 0xA3, 'Ô': 0xA4, 'Ơ': 0xA5, 'Ư': 0xA6, 'Đ': 0xA7,
}

const (
	tcvn3LowerDD = 0xAE // đ in VN3
	vniLowerDD   = "ñ"  // đ in VNI Windows
)

// letterInfo describes one Vietnamese letter: its lowercase base (a, ă, â, …,
// đ or a consonant) and its tone.
type letterInfo struct {
	base rune
	tone uint8
}

// legacyTableSet holds the lookup maps derived once from vowelRows.
type legacyTableSet struct {
	tcvn3Dec [256]rune        // VN3 code → letter; 0 where VN3 assigns nothing
	tcvn3Enc map[rune]string  // letter → VN3 text (one rune per code byte)
	vniDec1  map[rune]rune    // VNI single character → letter
	vniDec2  map[[2]rune]rune // VNI base + mark → letter
	vniEnc   map[rune]string  // letter → VNI text
	letters  map[rune]letterInfo
}

var legacyMaps = buildLegacyTables()

func buildLegacyTables() *legacyTableSet {
	t := &legacyTableSet{
		tcvn3Enc: make(map[rune]string),
		vniDec1:  make(map[rune]rune),
		vniDec2:  make(map[[2]rune]rune),
		vniEnc:   make(map[rune]string),
		letters:  make(map[rune]letterInfo),
	}
	addVNI := func(lower rune, seq string) {
		upper := unicode.ToUpper(lower)
		upSeq := strings.ToUpper(seq) // every VNI mark has a Latin-1 capital
		t.vniEnc[lower], t.vniEnc[upper] = seq, upSeq
		lo, up := []rune(seq), []rune(upSeq)
		switch len(lo) {
		case 1:
			if lo[0] >= 0x80 {
				t.vniDec1[lo[0]], t.vniDec1[up[0]] = lower, upper
			}
		case 2:
			// The base letter decides the case; accept a mark of either case,
			// as hand-edited sheets mix them.
			t.vniDec2[[2]rune{lo[0], lo[1]}] = lower
			t.vniDec2[[2]rune{lo[0], up[1]}] = lower
			t.vniDec2[[2]rune{up[0], up[1]}] = upper
			t.vniDec2[[2]rune{up[0], lo[1]}] = upper
		}
	}
	for _, row := range vowelRows {
		base := row.uni[toneNone]
		for tone, lower := range row.uni {
			upper := unicode.ToUpper(lower)
			t.letters[lower] = letterInfo{base, uint8(tone)}
			t.letters[upper] = letterInfo{base, uint8(tone)}

			code := row.tcvn3[tone]
			if code >= 0x80 {
				t.tcvn3Dec[code] = lower
				t.tcvn3Enc[lower] = string(rune(code))
			}
			if b, ok := tcvn3Upper[upper]; ok {
				t.tcvn3Enc[upper] = string(rune(b))
			} else if code >= 0x80 {
				t.tcvn3Enc[upper] = string(rune(code)) // no capital in VN3
			}
			addVNI(lower, row.vni[tone])
		}
	}
	for r, b := range tcvn3Upper {
		t.tcvn3Dec[b] = r
	}
	t.tcvn3Dec[tcvn3LowerDD] = 'đ'
	t.tcvn3Enc['đ'] = string(rune(tcvn3LowerDD))
	t.tcvn3Enc['Đ'] = string(rune(tcvn3Upper['Đ']))
	addVNI('đ', vniLowerDD)
	for _, c := range "bcdđghklmnpqrstvx" {
		t.letters[c] = letterInfo{c, toneNone}
		t.letters[unicode.ToUpper(c)] = letterInfo{c, toneNone}
	}
	return t
}

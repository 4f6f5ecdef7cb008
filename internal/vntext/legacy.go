package vntext

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Encoding names how Vietnamese text was encoded before it reached us.
//
// Communes' registry sheets were long typed in legacy 8-bit fonts. Read from
// XLSX or CSV, such text arrives as Unicode strings made of the Latin-1
// look-alikes of the font's codes: "NguyÔn V¨n An" (TCVN3) or "Nguyeãn Vaên
// An" (VNI) for "Nguyễn Văn An".
type Encoding uint8

const (
	// Unicode is text that needs no conversion (the zero value).
	Unicode Encoding = iota
	// TCVN3 is TCVN 5712:1993 VN3, the ".VnTime"/ABC fonts: one code per
	// lowercase Vietnamese letter, capitals only for Ă Â Ê Ô Ơ Ư Đ.
	TCVN3
	// VNI is the VNI Windows encoding ("VNI-Times" fonts): a base letter
	// followed by a mark character carrying hat/breve and tone.
	VNI
)

// String returns "unicode", "tcvn3" or "vni".
func (e Encoding) String() string {
	switch e {
	case Unicode:
		return "unicode"
	case TCVN3:
		return "tcvn3"
	case VNI:
		return "vni"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// ToUnicode detects the encoding of s and converts it to Unicode NFC. Text
// already in Unicode is returned unchanged apart from NFC normalisation;
// invalid UTF-8 bytes become U+FFFD.
//
// Detection on one short cell is weaker than on a whole column: to convert a
// column, call DetectLegacy on its cells joined with "\n" and then FromTCVN3
// or FromVNI on each cell.
func ToUnicode(s string) (string, Encoding) {
	s = strings.ToValidUTF8(s, "\uFFFD")
	enc := DetectLegacy(s)
	switch enc {
	case TCVN3:
		return FromTCVN3(s), enc
	case VNI:
		return FromVNI(s), enc
	}
	return norm.NFC.String(s), Unicode
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DecodeBytes turns the bytes of a CSV or text file into Unicode NFC text and
// reports the legacy Vietnamese encoding it found.
//
// UTF-8 is taken as is (BOM stripped); UTF-16 with a BOM (Excel's "Unicode
// text") is decoded; any other invalid UTF-8 is read as Windows-1252, which
// is how old software on Western Windows saved sheets (its five undefined
// bytes become U+FFFD; no legacy font uses them). Then the whole text
// goes through DetectLegacy and, if TCVN3 or VNI, is converted. It fails only
// on input that is not text at all (NUL bytes, odd-length UTF-16).
func DecodeBytes(b []byte) (string, Encoding, error) {
	var text string
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		s, err := decodeUTF16(b[2:], b[0] == 0xFF)
		if err != nil {
			return "", Unicode, err
		}
		text = s
	default:
		b = bytes.TrimPrefix(b, utf8BOM)
		if bytes.IndexByte(b, 0) >= 0 {
			return "", Unicode, errors.New("decode text: NUL byte, not a text file (UTF-16 without BOM, or binary)")
		}
		if utf8.Valid(b) {
			text = string(b)
		} else {
			s, err := charmap.Windows1252.NewDecoder().Bytes(b)
			if err != nil {
				return "", Unicode, fmt.Errorf("decode text as Windows-1252: %w", err)
			}
			text = string(s)
		}
	}
	out, enc := ToUnicode(text)
	return out, enc, nil
}

func decodeUTF16(b []byte, little bool) (string, error) {
	if len(b)%2 != 0 {
		return "", errors.New("decode text: UTF-16 with an odd number of bytes")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if little {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	s := string(utf16.Decode(u))
	if strings.ContainsRune(s, 0) {
		return "", errors.New("decode text: NUL character in UTF-16 text")
	}
	return s, nil
}

// ToTCVN3 encodes s in TCVN3 (VN3), as a .VnTime font user would have typed
// it, for tests and round trips. Uppercase toned vowels, which VN3 cannot
// code, get the lowercase code, the only one there is (a .VnTime document
// shows them small); characters outside Vietnamese are kept.
func ToTCVN3(s string) string {
	var sb strings.Builder
	for _, r := range norm.NFC.String(s) {
		if enc, ok := legacyMaps.tcvn3Enc[r]; ok {
			sb.WriteString(enc)
		} else {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// ToVNI encodes s in VNI Windows, for tests and round trips. Characters
// outside Vietnamese are kept.
func ToVNI(s string) string {
	var sb strings.Builder
	for _, r := range norm.NFC.String(s) {
		if enc, ok := legacyMaps.vniEnc[r]; ok {
			sb.WriteString(enc)
		} else {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// FromVNI converts VNI Windows text to Unicode NFC. A mark character that
// follows no letter it can go with is kept as it is. Words holding a
// character no 8-bit font can produce are already Unicode and left alone, so
// a sheet mixing both survives.
func FromVNI(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	for _, w := range legacySplit(rs) {
		if w.sep || w.foreign {
			out = append(out, rs[w.start:w.end]...)
			continue
		}
		out, _ = vniDecode(out, rs[w.start:w.end])
	}
	return norm.NFC.String(string(out))
}

// vniDecode appends the decoding of the VNI word in to out and reports
// whether every non-ASCII character found a place in a letter.
func vniDecode(out, in []rune) ([]rune, bool) {
	complete := true
	for i := 0; i < len(in); i++ {
		if i+1 < len(in) {
			if r, ok := legacyMaps.vniDec2[[2]rune{in[i], in[i+1]}]; ok {
				out = append(out, r)
				i++
				continue
			}
		}
		if r, ok := legacyMaps.vniDec1[in[i]]; ok {
			out = append(out, r)
			continue
		}
		if in[i] >= utf8.RuneSelf {
			complete = false
		}
		out = append(out, in[i])
	}
	return out, complete
}

// tcvn3Decode returns the VN3 letter for r, or false when r is no VN3 code.
func tcvn3Decode(r rune) (rune, bool) {
	if r < 0x80 || r > 0xFF {
		return r, false
	}
	d := legacyMaps.tcvn3Dec[r]
	return d, d != 0
}

// FromTCVN3 converts TCVN3 (VN3) text to Unicode NFC.
//
// VN3 has no code for uppercase toned vowels, so they arrive in the
// lowercase code. Capitals are restored where the text says so: inside a word
// written in capitals ("NGUYÔN" → "NGUYỄN"), in a cell written all in
// capitals, and for a word starting with a toned vowel where Vietnamese
// spelling wants a capital: at the start of the cell or of a sentence,
// inside a run of capitalised words ("Lª ThÞ ¸nh" → "Lê Thị Ánh"), and after
// an administrative unit word ("x· øng Hße" → "xã Ứng Hòe"). Elsewhere the
// lowercase letter is kept; text typed for the all-capital .VnTimeH fonts in
// lowercase codes cannot be told apart and comes out lowercase.
//
// Words holding a character no 8-bit font can produce are already Unicode
// and left alone.
func FromTCVN3(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	rs := []rune(s)
	out := make([]rune, len(rs))
	neutral := make([]bool, len(rs)) // toned vowel whose case VN3 could not say
	words := legacySplit(rs)
	for _, w := range words {
		for i := w.start; i < w.end; i++ {
			out[i] = rs[i]
			if w.sep || w.foreign {
				continue
			}
			if d, ok := tcvn3Decode(rs[i]); ok {
				out[i] = d
				neutral[i] = unicode.IsLower(d) && legacyMaps.letters[d].tone != toneNone
			}
		}
	}
	restoreTCVN3Case(out, neutral, words)
	return norm.NFC.String(string(out))
}

// legacySpan is a word (a run of letters, marks and Latin-1 high-half
// characters, which legacy fonts turn into letters) or the separator between
// two words.
type legacySpan struct {
	start, end int
	sep        bool
	foreign    bool // holds a character outside Windows-1252: already Unicode
}

func legacyWordRune(r rune) bool {
	return (r >= 0xA1 && r <= 0xFF) || unicode.IsLetter(r) || unicode.IsMark(r)
}

// inCP1252 reports whether r could have come out of an 8-bit legacy font
// read through Windows-1252 (or Latin-1).
func inCP1252(r rune) bool {
	if r <= 0xFF {
		return true
	}
	_, ok := charmap.Windows1252.EncodeRune(r)
	return ok
}

func legacySplit(rs []rune) []legacySpan {
	var spans []legacySpan
	for i := 0; i < len(rs); {
		word := legacyWordRune(rs[i])
		sp := legacySpan{start: i, sep: !word}
		for i < len(rs) && legacyWordRune(rs[i]) == word {
			if word && !inCP1252(rs[i]) {
				sp.foreign = true
			}
			i++
		}
		sp.end = i
		spans = append(spans, sp)
	}
	return spans
}

// adminWords are the lowercase words after which a place's proper name
// follows, so a toned vowel starting the next word is a capital.
var adminWords = map[string]bool{
	"xã": true, "phường": true, "trấn": true, "huyện": true, "quận": true,
	"tỉnh": true, "phố": true, "thôn": true, "xóm": true, "bản": true,
	"ấp": true, "làng": true, "buôn": true, "sóc": true, "đường": true,
	"khu": true, "tổ": true, "thị": true,
}

// tcvn3Word counts, for one word of a line, the letters whose case VN3 did
// say and the toned vowels whose case it could not.
type tcvn3Word struct {
	span         int
	upper, lower int
	neutrals     int
}

// restoreTCVN3Case applies the capitalisation rules documented on FromTCVN3
// to the decoded runes; neutral marks the letters VN3 gave no case. The
// context is the cell (see legacyCells).
func restoreTCVN3Case(out []rune, neutral []bool, spans []legacySpan) {
	for _, cell := range legacyCells(out, spans) {
		lineStart, lineEnd := cell[0], cell[1]
		var words []tcvn3Word
		low, capsWord := 0, false
		for k := lineStart; k < lineEnd; k++ {
			sp := spans[k]
			if sp.sep {
				continue
			}
			wc := tcvn3Word{span: k}
			for i := sp.start; i < sp.end; i++ {
				switch {
				case neutral[i]:
					wc.neutrals++
				case unicode.IsUpper(out[i]):
					wc.upper++
				case unicode.IsLower(out[i]):
					wc.lower++
				}
			}
			low += wc.lower
			capsWord = capsWord || wc.upper >= 2
			words = append(words, wc)
		}
		// A cell is in capitals when it has no small letter and at least one
		// word shows two capitals: "Lý Mü" may be "LÝ MỸ", but names in title
		// case are far commoner.
		allCaps := low == 0 && capsWord
		for j, wc := range words {
			sp := spans[wc.span]
			if wc.neutrals == 0 {
				continue
			}
			if wc.lower == 0 && (wc.upper >= 2 || allCaps) {
				for i := sp.start; i < sp.end; i++ {
					if neutral[i] {
						out[i] = unicode.ToUpper(out[i])
					}
				}
				continue
			}
			if wc.upper == 0 && neutral[sp.start] && tcvn3WantsCapital(out, neutral, spans, words, j) {
				out[sp.start] = unicode.ToUpper(out[sp.start])
			}
		}
	}
}

// tcvn3WantsCapital reports whether word j of a cell, starting with a toned
// vowel, stands where Vietnamese spelling puts a capital.
func tcvn3WantsCapital(out []rune, neutral []bool, spans []legacySpan, words []tcvn3Word, j int) bool {
	if j == 0 {
		return true // start of the cell
	}
	text := func(k int) string { return string(out[spans[k].start:spans[k].end]) }
	k := words[j].span
	before := text(k - 1)
	if strings.ContainsAny(before, ".!?") {
		return true // start of a sentence
	}
	if !phraseJoin(before) {
		return false
	}
	prev := []rune(text(words[j-1].span))
	if adminWords[strings.ToLower(string(prev))] {
		return true
	}
	if !unicode.IsUpper(prev[0]) {
		return false
	}
	// Inside a run of names every word is capitalised; "Em Lan ë víi bµ"
	// keeps "ở" small because the word after it is small.
	if j+1 < len(words) && phraseJoin(text(k+1)) {
		next := spans[words[j+1].span]
		return unicode.IsUpper(out[next.start]) || neutral[next.start]
	}
	return true
}

// phraseJoin reports whether a separator keeps two words in one phrase.
func phraseJoin(sep string) bool {
	return strings.Trim(sep, " \u00a0-'") == ""
}

package children

import (
	"strings"

	"treem/internal/vntext"
)

// Text typed with the legacy TCVN3 (ABC) and VNI fonts, still common in
// communes' spreadsheets, is converted to Unicode on import (vntext does the
// work). A column is judged as a whole, which is surer than one cell: its
// cells are joined and the encoding detected once, then each cell converted
// (cells holding letters no 8-bit font has are Unicode already and stay).

// legacyEncoding names the encoding text was found in: "" for Unicode, or
// "tcvn3", "vni".
type legacyEncoding string

const encUnicode legacyEncoding = ""

func encodingName(e vntext.Encoding) legacyEncoding {
	if e == vntext.Unicode {
		return encUnicode
	}
	return legacyEncoding(e.String())
}

// decodeBytes reads a whole file's bytes that are not UTF-8 (a CSV saved
// from a TCVN3 or VNI spreadsheet in Windows-1252, or UTF-16) as text.
func decodeBytes(b []byte) (string, legacyEncoding, error) {
	s, enc, err := vntext.DecodeBytes(b)
	return s, encodingName(enc), err
}

// maxDetectCells bounds the cells of a column read to detect its encoding.
const maxDetectCells = 20000

// convertLegacy converts, column by column, the text of the header and the
// rows typed in a legacy font, and notes on each row what it found.
func (t *table) convertLegacy() {
	width := len(t.header)
	for _, r := range t.rows {
		width = max(width, len(r.cells))
	}
	for j := 0; j < width; j++ {
		var sample []string
		if j < len(t.header) && !ascii(t.header[j]) {
			sample = append(sample, t.header[j])
		}
		for _, r := range t.rows {
			if len(sample) == maxDetectCells {
				break
			}
			if j < len(r.cells) && !ascii(r.cells[j]) {
				sample = append(sample, r.cells[j])
			}
		}
		if len(sample) == 0 {
			continue
		}
		enc := vntext.DetectLegacy(strings.Join(sample, "\n"))
		var from func(string) string
		switch enc {
		case vntext.TCVN3:
			from = vntext.FromTCVN3
		case vntext.VNI:
			from = vntext.FromVNI
		default:
			continue
		}
		if j < len(t.header) {
			t.header[j] = from(t.header[j])
		}
		for _, r := range t.rows {
			if j < len(r.cells) && !ascii(r.cells[j]) {
				if c := from(r.cells[j]); c != r.cells[j] {
					r.cells[j], r.enc = c, encodingName(enc)
				}
			}
		}
	}
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

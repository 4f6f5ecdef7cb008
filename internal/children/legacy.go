package children

// Text typed with the legacy TCVN3 (ABC) and VNI fonts, still common in
// communes' spreadsheets, is converted to Unicode on import. The work is
// vntext's (ToUnicode, DecodeBytes); these two helpers are the only place
// the registry calls it, so that switching to vntext's functions is one edit.

// legacyEncoding names the encoding text was found in: "" for Unicode (or
// plain ASCII), "tcvn3" or "vni".
type legacyEncoding string

const (
	encUnicode legacyEncoding = ""
	encTCVN3   legacyEncoding = "tcvn3"
	encVNI     legacyEncoding = "vni"
)

// toUnicode converts one cell's text, typed in a legacy font, to Unicode,
// and says which encoding it found.
func toUnicode(s string) (string, legacyEncoding) { return interimToUnicode(s) }

// decodeBytes reads a whole file's bytes that are not UTF-8 (a CSV saved
// from a TCVN3 or VNI spreadsheet) as text.
func decodeBytes(b []byte) (string, legacyEncoding, error) { return interimDecodeBytes(b) }

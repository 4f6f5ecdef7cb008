// Package pdftext reads back the text of the PDFs treem writes (fpdf with
// an embedded UTF-8 TrueType font: Identity-H encoding, two-byte codes that
// are Unicode code points, an identity ToUnicode map). Tests use it to
// prove that Vietnamese text survives into a document; it is not a general
// PDF reader.
package pdftext

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Stream is one stream object: its dictionary and its decoded content.
type Stream struct {
	Dict string
	Data []byte
}

var lengthRE = regexp.MustCompile(`/Length (\d+)`)

// Streams returns every stream of the document, inflated when compressed.
func Streams(pdf []byte) ([]Stream, error) {
	var out []Stream
	rest, off := pdf, 0
	for {
		i := bytes.Index(rest[off:], []byte("\nstream\n"))
		if i < 0 {
			return out, nil
		}
		start := off + i + len("\nstream\n")
		dictStart := bytes.LastIndex(rest[:off+i], []byte("<<"))
		if dictStart < 0 {
			return nil, errors.New("pdftext: a stream without a dictionary")
		}
		dict := string(rest[dictStart : off+i])
		m := lengthRE.FindStringSubmatch(dict)
		if m == nil {
			return nil, errors.New("pdftext: a stream without a length")
		}
		n, _ := strconv.Atoi(m[1])
		if start+n > len(rest) {
			return nil, errors.New("pdftext: a stream runs past the end")
		}
		data := rest[start : start+n]
		if strings.Contains(dict, "/FlateDecode") {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, err
			}
			data, err = io.ReadAll(zr)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, Stream{Dict: dict, Data: data})
		off = start + n
	}
}

// Text returns the text shown by the content streams, one line per text
// operator (Tj, or a TJ array).
func Text(pdf []byte) (string, error) {
	streams, err := Streams(pdf)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, s := range streams {
		if !bytes.Contains(s.Data, []byte("BT ")) {
			continue
		}
		b.WriteString(contentText(s.Data))
	}
	return b.String(), nil
}

// contentText reads the strings shown in one content stream.
func contentText(c []byte) string {
	var b strings.Builder
	var line []uint16
	inArray := false
	for i := 0; i < len(c); i++ {
		switch c[i] {
		case '[':
			inArray = true
		case ']':
			inArray = false
		case '(':
			raw, end := literal(c, i+1)
			i = end
			for j := 0; j+1 < len(raw); j += 2 {
				line = append(line, uint16(raw[j])<<8|uint16(raw[j+1]))
			}
			if !inArray {
				continue
			}
		case 'T':
			if i+1 < len(c) && (c[i+1] == 'j' || c[i+1] == 'J') && len(line) > 0 {
				b.WriteString(string(utf16.Decode(line)))
				b.WriteByte('\n')
				line = line[:0]
			}
		}
	}
	return b.String()
}

// literal reads a PDF string literal starting after its "(", returning its
// bytes and the index of the closing ")".
func literal(c []byte, i int) ([]byte, int) {
	var out []byte
	depth := 0
	for ; i < len(c); i++ {
		switch ch := c[i]; ch {
		case '\\':
			i++
			if i >= len(c) {
				return out, i
			}
			switch e := c[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			default:
				if e >= '0' && e <= '7' {
					v, k := 0, 0
					for ; k < 3 && i < len(c) && c[i] >= '0' && c[i] <= '7'; k++ {
						v = v*8 + int(c[i]-'0')
						i++
					}
					i--
					out = append(out, byte(v))
				} else {
					out = append(out, e)
				}
			}
		case '(':
			depth++
			out = append(out, ch)
		case ')':
			if depth == 0 {
				return out, i
			}
			depth--
			out = append(out, ch)
		default:
			out = append(out, ch)
		}
	}
	return out, i
}

// Flat is Text with every run of white space made one space, so that a
// phrase a table cell wrapped over two lines is still found.
func Flat(pdf []byte) (string, error) {
	t, err := Text(pdf)
	return strings.Join(strings.Fields(t), " "), err
}

// Unmapped returns the runes of s that the embedded fonts' CIDToGIDMap
// leaves without a glyph (code point → glyph 0), which a reader would show
// as empty boxes. s's runes must be in the Basic Multilingual Plane.
func Unmapped(pdf []byte, s string) ([]rune, error) {
	streams, err := Streams(pdf)
	if err != nil {
		return nil, err
	}
	var maps [][]byte
	for _, st := range streams {
		if len(st.Data) == 1<<17 && !strings.Contains(st.Dict, "/Length1") {
			maps = append(maps, st.Data)
		}
	}
	if len(maps) == 0 {
		return nil, errors.New("pdftext: no CIDToGIDMap: the text is not in an embedded Unicode font")
	}
	var missing []rune
	for _, r := range s {
		if r == ' ' {
			continue
		}
		found := false
		for _, m := range maps {
			if r < 1<<16 && (m[2*r] != 0 || m[2*r+1] != 0) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, r)
		}
	}
	return missing, nil
}

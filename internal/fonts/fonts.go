// Package fonts holds the fonts embedded for documents made on the server
// (PDF reports and forms): Noto Sans, regular and bold, which cover
// Vietnamese. Licence: OFL.txt.
package fonts

import (
	_ "embed"

	"github.com/go-pdf/fpdf"
)

// NotoSansRegular and NotoSansBold are the TrueType files.
var (
	//go:embed NotoSans-Regular.ttf
	NotoSansRegular []byte
	//go:embed NotoSans-Bold.ttf
	NotoSansBold []byte
)

// Family is the name AddTo registers the fonts under.
const Family = "Noto"

// AddTo registers Noto Sans (regular "" and bold "B") in pdf as UTF-8
// fonts, so that Vietnamese text is written with its diacritics and can be
// copied back out of the document (fpdf writes a ToUnicode map).
func AddTo(pdf *fpdf.Fpdf) {
	pdf.AddUTF8FontFromBytes(Family, "", NotoSansRegular)
	pdf.AddUTF8FontFromBytes(Family, "B", NotoSansBold)
}

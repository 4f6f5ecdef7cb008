// Package forms gives the folded forms of a unit's names that geo.Search
// matches against. The generator stores them in units.tsv so start-up does
// not fold 13,000 strings; geo's tests check the stored forms are still what
// this package makes of the names.
package forms

import (
	"strings"

	"treem/internal/vntext"
)

// Sep joins the forms in units.tsv; folding leaves no punctuation, so it
// cannot occur inside a form.
const Sep = "|"

// apostrophes are dropped to make a second form of names such as Ea H'Leo or
// Cư M'gar, which people type both as "h leo" and as "hleo".
var apostrophes = strings.NewReplacer("'", "", "’", "", "ʼ", "")

// Of returns the distinct folded forms of the given names, in order:
// Of("Ba Đình", "Phường Ba Đình", "Ba Dinh", "Ba Dinh Ward") is
// ["ba dinh", "phuong ba dinh", "ba dinh ward"].
func Of(names ...string) []string {
	var out []string
	add := func(s string) {
		f := vntext.Fold(s)
		for _, o := range out {
			if o == f {
				return
			}
		}
		if f != "" {
			out = append(out, f)
		}
	}
	for _, n := range names {
		add(n)
		if strings.ContainsAny(n, "'’ʼ") {
			add(apostrophes.Replace(n))
		}
	}
	return out
}

package match

import (
	"treem/internal/geo"
)

// places numbers communes and provinces compactly: a record keeps a uint16
// commune index and postings are split by a province index. Index 0 is
// "none" for both. Codes geo does not know (an old code stored by mistake,
// a test's invented code) get indexes of their own, in province 0.
type places struct {
	communes  []string // index → code
	commIdx   map[string]uint16
	provOf    []uint8 // commune index → province index
	provinces []string
	provIdx   map[string]uint8
	provComms [][]uint16 // province index → its commune indexes
}

func newPlaces() *places {
	u := geo.Default()
	p := &places{
		communes:  []string{""},
		commIdx:   map[string]uint16{},
		provOf:    []uint8{0},
		provinces: []string{""},
		provIdx:   map[string]uint8{},
		provComms: [][]uint16{nil},
	}
	for _, pr := range u.Provinces() {
		pi := uint8(len(p.provinces))
		p.provinces = append(p.provinces, pr.Code)
		p.provIdx[pr.Code] = pi
		p.provComms = append(p.provComms, nil)
		for _, c := range u.Communes(pr.Code) {
			ci := uint16(len(p.communes))
			p.communes = append(p.communes, c.Code)
			p.commIdx[c.Code] = ci
			p.provOf = append(p.provOf, pi)
			p.provComms[pi] = append(p.provComms[pi], ci)
		}
	}
	return p
}

// commune returns the index of a commune code, adding an unknown code.
func (p *places) commune(code string) uint16 {
	if code == "" {
		return 0
	}
	if ci, ok := p.commIdx[code]; ok {
		return ci
	}
	if len(p.communes) >= 1<<16-1 {
		return 0 // absurdly many unknown codes: treat the rest as unknown
	}
	ci := uint16(len(p.communes))
	p.communes = append(p.communes, code)
	p.commIdx[code] = ci
	p.provOf = append(p.provOf, 0)
	p.provComms[0] = append(p.provComms[0], ci)
	return ci
}

// oldSuccessors resolves a pre-2025 commune code to the indexes of the
// current communes it went into.
func (p *places) oldSuccessors(code string) []uint16 {
	succ, ok := geo.Default().ResolveOld(code)
	if !ok {
		return nil
	}
	var out []uint16
	for _, s := range succ {
		if ci, ok := p.commIdx[s.Code]; ok {
			out = append(out, ci)
		}
	}
	return out
}

// scope is a Scope resolved to indexes. Province 0 with all false means the
// whole country.
type scope struct {
	all      bool
	none     bool   // a scope naming a unit that does not exist: nothing is in it
	province uint8  // when !all
	commune  uint16 // when non-zero, only this commune
}

func (p *places) scope(s Scope) scope {
	if s.Province == "" && s.Commune == "" {
		return scope{all: true}
	}
	var sc scope
	if s.Commune != "" {
		ci, ok := p.commIdx[s.Commune]
		if !ok {
			return scope{none: true}
		}
		sc.commune = ci
		sc.province = p.provOf[ci]
		if s.Province != "" && p.provinces[sc.province] != s.Province {
			return scope{none: true}
		}
		return sc
	}
	pi, ok := p.provIdx[s.Province]
	if !ok {
		return scope{none: true}
	}
	sc.province = pi
	return sc
}

// Postings are split into parts by province (see partOf); provinceRange
// returns the parts a scope reads. Entries carry their commune, so a part
// holding several provinces is filtered entry by entry.
func (sc scope) provinceRange(int) (lo, hi int) {
	if sc.all {
		return 0, postParts
	}
	p := partOf(sc.province)
	return p, p + 1
}

// postParts is how many parts postings are split into. One list per
// province reads least for a scoped search but spreads the list tails an
// upsert appends to over 35 times more memory, which makes loading two
// million records cache-bound; eight parts of four or five provinces keep
// most of the gain for scoped searches.
const postParts = 8

func partOf(province uint8) int { return int(province) % postParts }

func (sc scope) covers(p *places, commune uint16) bool {
	switch {
	case sc.none:
		return false
	case sc.all:
		return true
	case sc.commune != 0:
		return commune == sc.commune
	}
	return p.provOf[commune] == sc.province
}

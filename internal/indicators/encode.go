package indicators

import (
	"encoding/binary"
	"errors"
	"sync"

	"treem/internal/geo"
	"treem/internal/indicators/facts"
)

// names interns fact kinds and attribute names and values for the whole
// process, so that stored facts are small numbers. It only grows; codes
// are few (kinds, dimension values).
var names = struct {
	sync.Mutex
	*interner
}{interner: newInterner()}

func internID(s string) int32 {
	names.Lock()
	defer names.Unlock()
	return names.id(s)
}

func internName(id int32) string {
	names.Lock()
	defer names.Unlock()
	if int(id) < len(names.names) {
		return names.names[id]
	}
	return ""
}

// units numbers the units facts are counted in: 0 unknown, 1…34 the
// provinces, then the communes.
type units struct {
	geo      *geo.Units
	provs    []geo.Unit
	communes []geo.Unit
	at       map[string]int // code → unit number
	provOf   []int          // unit number → its province's number (0 for unknown)
}

const unknownUnit = 0

func newUnits(g *geo.Units) *units {
	u := &units{geo: g, provs: g.Provinces(), communes: g.Communes(""), at: map[string]int{}}
	u.provOf = make([]int, 1+len(u.provs)+len(u.communes))
	for i, p := range u.provs {
		u.at[p.Code] = 1 + i
		u.provOf[1+i] = 1 + i
	}
	for i, c := range u.communes {
		n := 1 + len(u.provs) + i
		u.at[c.Code] = n
		u.provOf[n] = u.at[c.Province]
	}
	return u
}

func (u *units) nProv() int               { return len(u.provs) }
func (u *units) isCommune(n int) bool     { return n > len(u.provs) }
func (u *units) communeIdx(n int) int     { return n - 1 - len(u.provs) }
func (u *units) provinceNumber(n int) int { return u.provOf[n] }
func (u *units) communeNumber(i int) int  { return 1 + len(u.provs) + i }
func (u *units) code(n int) string {
	switch {
	case n == unknownUnit:
		return ""
	case n <= len(u.provs):
		return u.provs[n-1].Code
	}
	return u.communes[u.communeIdx(n)].Code
}

// resolve maps a fact's unit to today's. An old unit that was split goes
// whole to one successor — the one that kept the old code if any, else the
// first the official mapping lists — and split names the old unit so the
// figure can carry a note. An unknown code counts nationally only.
func (u *units) resolve(code string, old bool) (n int, split string, unmapped bool) {
	if code == "" {
		return unknownUnit, "", false
	}
	if !old {
		if n, ok := u.at[code]; ok {
			return n, "", false
		}
		return unknownUnit, "", true
	}
	succ, ok := u.geo.ResolveOld(code)
	if !ok || len(succ) == 0 {
		return unknownUnit, "", true
	}
	pick := succ[0]
	if len(succ) > 1 {
		for _, s := range succ {
			if s.Code == code {
				pick = s
				break
			}
		}
		split = code
	}
	return u.at[pick.Code], split, false
}

// fact is a decoded fact, in engine terms.
type fact struct {
	kind  int32
	unit  int
	split int32 // interned old code when mapped from a split old unit
	on    int32
	until int32
	value int64
	sex   int32 // interned "male"/"female", 0 unknown
	born  int32
	attrs [][2]int32
}

const (
	flagSplit    = 1
	flagSameWho  = 2 // sex and born as the previous fact
	flagUnmapped = 4 // the source gave a unit code no list knows
)

// encodeEntity turns an entity's facts into bytes for the store, mapping
// units and interning names. Facts with a kind no measure counts are kept
// too (a later catalogue may count them).
func encodeEntity(dst []byte, u *units, fs []facts.Fact) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(fs)))
	var prevSex string
	var prevBorn int32
	for i, f := range fs {
		n, split, unmapped := u.resolve(f.Unit, f.Old)
		var flags byte
		if split != "" {
			flags |= flagSplit
		}
		if unmapped {
			flags |= flagUnmapped
		}
		same := i > 0 && f.Sex == prevSex && f.Born == prevBorn
		if same {
			flags |= flagSameWho
		}
		dst = append(dst, flags)
		dst = binary.AppendUvarint(dst, uint64(internID(f.Kind)))
		dst = binary.AppendUvarint(dst, uint64(n))
		if split != "" {
			dst = binary.AppendUvarint(dst, uint64(internID(split)))
		}
		on, until := f.On, f.Until
		if on < 0 {
			on = 0
		}
		dst = binary.AppendUvarint(dst, uint64(on))
		switch {
		case until == on || until == 0:
			dst = append(dst, 0)
		case until >= facts.Open:
			dst = append(dst, 1)
		default:
			if until < on {
				until = on
			}
			dst = binary.AppendUvarint(dst, uint64(until-on)+2)
		}
		dst = binary.AppendVarint(dst, f.Value)
		if !same {
			dst = binary.AppendUvarint(dst, uint64(internID(f.Sex)))
			dst = binary.AppendUvarint(dst, uint64(max(f.Born, 0)))
		}
		dst = binary.AppendUvarint(dst, uint64(len(f.Attrs)))
		for _, a := range f.Attrs {
			dst = binary.AppendUvarint(dst, uint64(internID(a.Dim)))
			dst = binary.AppendUvarint(dst, uint64(internID(a.Value)))
		}
		prevSex, prevBorn = f.Sex, f.Born
	}
	return dst
}

var errCorrupt = errors.New("indicators: corrupt fact encoding")

// decodeEntity reads facts into buf (reused) and returns them.
func decodeEntity(b []byte, buf []fact) ([]fact, error) {
	buf = buf[:0]
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return buf, errCorrupt
	}
	b = b[k:]
	uv := func() uint64 {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			b = nil
			return 0
		}
		b = b[k:]
		return v
	}
	var sex, born int32
	for range n {
		if len(b) == 0 {
			return buf, errCorrupt
		}
		flags := b[0]
		b = b[1:]
		var f fact
		if cap(buf) > len(buf) {
			f.attrs = buf[:len(buf)+1][len(buf)].attrs[:0]
		}
		f.kind = int32(uv())
		f.unit = int(uv())
		if flags&flagSplit != 0 {
			f.split = int32(uv())
		}
		f.on = int32(uv())
		switch d := uv(); d {
		case 0:
			f.until = f.on
		case 1:
			f.until = facts.Open
		default:
			f.until = f.on + int32(d-2)
		}
		v, k := binary.Varint(b)
		if k <= 0 {
			return buf, errCorrupt
		}
		b = b[k:]
		f.value = v
		if flags&flagSameWho == 0 {
			sex = int32(uv())
			born = int32(uv())
		}
		f.sex, f.born = sex, born
		na := int(uv())
		for range na {
			f.attrs = append(f.attrs, [2]int32{int32(uv()), int32(uv())})
		}
		if b == nil {
			return buf, errCorrupt
		}
		buf = append(buf, f)
	}
	return buf, nil
}

// entityStore keeps every entity's encoded facts for one source, so that a
// change can take back what the entity counted before. Keys that are small
// (database ids) index a slice; others a map.
type entityStore struct {
	dense   []uint64 // key → offset<<24 | length; 0 absent
	sparse  map[int64]uint64
	arena   []byte
	garbage int
	count   int
	// byCommune lists the keys with facts in each commune (number as in
	// units.communeIdx); stale entries are skipped when read.
	byCommune [][]int64
}

const denseMax = 1 << 26

func newEntityStore(nCommunes int) *entityStore {
	return &entityStore{sparse: map[int64]uint64{}, arena: make([]byte, 1, 1<<16), byCommune: make([][]int64, nCommunes)}
}

func (s *entityStore) ref(key int64) uint64 {
	if key > 0 && key < denseMax {
		if key < int64(len(s.dense)) {
			return s.dense[key]
		}
		return 0
	}
	return s.sparse[key]
}

func (s *entityStore) get(key int64) []byte {
	r := s.ref(key)
	if r == 0 {
		return nil
	}
	off, n := r>>24, r&(1<<24-1)
	return s.arena[off : off+n]
}

func (s *entityStore) put(key int64, enc []byte) {
	old := s.ref(key)
	if old != 0 {
		s.garbage += int(old & (1<<24 - 1))
		s.count--
	}
	var r uint64
	if len(enc) > 0 {
		off := len(s.arena)
		s.arena = append(s.arena, enc...)
		r = uint64(off)<<24 | uint64(len(enc))
		s.count++
	}
	if key > 0 && key < denseMax {
		if key >= int64(len(s.dense)) {
			if r == 0 {
				return
			}
			grow := max(int(key)+1, 2*len(s.dense))
			s.dense = append(s.dense, make([]uint64, grow-len(s.dense))...)
		}
		s.dense[key] = r
	} else if r == 0 {
		delete(s.sparse, key)
	} else {
		s.sparse[key] = r
	}
	if s.garbage > 1<<20 && s.garbage > len(s.arena)/2 {
		s.compact()
	}
}

// compact copies the live encodings into a new arena.
func (s *entityStore) compact() {
	arena := make([]byte, 1, len(s.arena)-s.garbage+1)
	move := func(r uint64) uint64 {
		if r == 0 {
			return 0
		}
		off, n := r>>24, r&(1<<24-1)
		no := len(arena)
		arena = append(arena, s.arena[off:off+n]...)
		return uint64(no)<<24 | n
	}
	for k, r := range s.dense {
		s.dense[k] = move(r)
	}
	for k, r := range s.sparse {
		s.sparse[k] = move(r)
	}
	s.arena, s.garbage = arena, 0
}

// each calls f for every stored entity.
func (s *entityStore) each(f func(key int64, enc []byte)) {
	for k, r := range s.dense {
		if r != 0 {
			f(int64(k), s.get(int64(k)))
		}
	}
	for k := range s.sparse {
		f(k, s.get(k))
	}
}

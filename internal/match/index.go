package match

import (
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"sync"

	"treem/internal/dates"
	"treem/internal/ident"
)

// Record is what the index keeps of a registry child.
type Record struct {
	ID      int64
	Name    string     // full name as recorded (Unicode)
	DOB     dates.Date // may be partial (month/year, year) or zero
	Sex     ident.Sex
	Commune string // current 5-digit commune code
	PID     string // 12-digit personal ID number or ""
	Phone   string // normalised phone (ident.NormalizePhone), a PhoneKey, or ""
	Groups  uint32 // bit i set = special-circumstance group i (a, b, c, d, đ, e, g, h, i, k, l, m, n, o)
}

// Scope limits a search to a province or a commune; both "" is the whole
// country, and a commune implies its province.
type Scope struct{ Province, Commune string }

// Index holds the registry's children in memory for name search and
// duplicate matching. It is safe for concurrent use: searches share a read
// lock, and a write holds the lock for microseconds (replacing a record in
// the longest posting list, a memmove of a few megabytes, for about a
// millisecond).
//
// Storage is compact and pointer-free per record, so two million children
// take a few hundred megabytes and the garbage collector has little to
// scan: records live in parallel slices indexed by a uint32 slot, names in
// one byte arena, words in one uint32 arena, and each syllable's postings
// are 16-byte entries that carry a copy of the record's first four words,
// its commune, year of birth and sex, so that most of a search runs over
// sequential memory without touching the records.
type Index struct {
	mu sync.RWMutex

	ids    []int64
	recs   []rec
	pids   []uint64
	phones []uint64
	toks   []uint32 // word arena: accented syllable ids
	names  []byte   // name arena
	waste  int      // bytes of names and words no longer referenced
	byID   slotTable
	dense  []uint32 // slot+1 by id, for ids from 0 up to a few times the records (database ids are)
	maxID  int64    // the largest id ever added: a larger one is surely new
	free   []uint32
	live   int

	pidTab   slotTable // records by ID number
	phoneTab slotTable // records by phone

	v          vocab
	pl         *places
	byCommune  [][]uint32 // commune index → slots, ascending
	provCount  []uint32
	yearCount  [256]uint32
	monthCount [256 * 13]uint32
	dayCount   [256 * 13 * 32]uint32
	nYear      uint32 // records whose date of birth is known to the year or better
	nMonth     uint32
	nDay       uint32

	scratch []uint32
}

// rec is a record's fixed-size part.
type rec struct {
	tokOff  uint32
	nameOff uint32
	dob     uint32 // packDate
	groups  uint32
	nameLen uint16
	commune uint16
	ntok    uint8
	sex     uint8
	live    bool
}

// post is one entry of a syllable's posting list.
type post struct {
	idx     uint32
	toks    [4]uint16 // accented ids of the record's first four words (0 none, bigTok too large)
	commune uint16
	year    uint8 // year of birth − 1900, 0 unknown
	flags   uint8 // sex in bits 0–1; postLong: words beyond these four, read the arena
}

const (
	bigTok   = 0xFFFF
	postLong = 1 << 2
)

// New returns an empty index.
func New() *Index {
	pl := newPlaces()
	ix := &Index{
		v:         newVocab(),
		pl:        pl,
		byCommune: make([][]uint32, len(pl.communes)),
		provCount: make([]uint32, len(pl.provinces)),
	}
	ix.byID = newSlotTable(func(s uint32) uint64 { return uint64(ix.ids[s]) })
	ix.pidTab = newSlotTable(func(s uint32) uint64 { return ix.pids[s] })
	ix.phoneTab = newSlotTable(func(s uint32) uint64 { return ix.phones[s] })
	return ix
}

// Reserve makes room for n records, so that loading them does not grow the
// storage step by step.
func (ix *Index) Reserve(n int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	grow := func(k int) int { return max(0, k-len(ix.ids)) }
	g := grow(n)
	ix.ids = slices.Grow(ix.ids, g)
	ix.recs = slices.Grow(ix.recs, g)
	ix.pids = slices.Grow(ix.pids, g)
	ix.phones = slices.Grow(ix.phones, g)
	ix.toks = slices.Grow(ix.toks, 4*g)
	ix.names = slices.Grow(ix.names, 20*g)
	ix.dense = slices.Grow(ix.dense, n+1)
	ix.pidTab.reserve(n)
	ix.phoneTab.reserve(n)
}

// Len returns the number of records.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Count returns the number of records in a scope.
func (ix *Index) Count(s Scope) int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sc := ix.pl.scope(s)
	switch {
	case sc.none:
		return 0
	case sc.all:
		return ix.live
	case sc.commune != 0:
		if int(sc.commune) < len(ix.byCommune) {
			return len(ix.byCommune[sc.commune])
		}
		return 0
	}
	return int(ix.provCount[sc.province])
}

// Get returns the record with the given id.
func (ix *Index) Get(id int64) (Record, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	idx, ok := ix.slotOf(id)
	if !ok {
		return Record{}, false
	}
	return ix.record(idx), true
}

func (ix *Index) record(idx uint32) Record {
	r := &ix.recs[idx]
	out := Record{
		ID:      ix.ids[idx],
		Name:    string(ix.names[r.nameOff : r.nameOff+uint32(r.nameLen)]),
		DOB:     unpackDate(r.dob),
		Sex:     ident.Sex(r.sex),
		Commune: ix.pl.communes[r.commune],
		Groups:  r.groups,
	}
	if p := ix.pids[idx]; p != 0 {
		out.PID = formatPID(p)
	}
	if p := ix.phones[idx]; p != 0 {
		out.Phone = formatPhone(p)
	}
	return out
}

// Upsert adds r, or replaces the record with the same ID.
func (ix *Index) Upsert(r Record) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.upsert(r)
}

// UpsertMany upserts records in order under one lock, for loading: the
// records get slots in that order, which is the order ties are broken in.
func (ix *Index) UpsertMany(rs []Record) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range rs {
		ix.upsert(rs[i])
	}
}

func (ix *Index) upsert(r Record) {
	var idx uint32
	exists := false
	if r.ID <= ix.maxID {
		idx, exists = ix.slotOf(r.ID)
	}
	ix.maxID = max(ix.maxID, r.ID)
	if exists {
		ix.unindex(idx)
	} else {
		idx = ix.alloc(r.ID)
	}
	ix.store(idx, r, exists)
	ix.index(idx)
}

// Delete removes the record with the given id, if there is one.
func (ix *Index) Delete(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	idx, ok := ix.slotOf(id)
	if !ok {
		return
	}
	ix.unindex(idx)
	if id >= 0 && id < int64(len(ix.dense)) && ix.dense[id] == idx+1 {
		ix.dense[id] = 0
	} else {
		ix.byID.remove(idx)
	}
	r := &ix.recs[idx]
	ix.waste += int(r.ntok)*4 + int(r.nameLen)
	*r = rec{}
	ix.pids[idx], ix.phones[idx] = 0, 0
	ix.free = append(ix.free, idx)
}

// slotOf finds the slot of a record id.
func (ix *Index) slotOf(id int64) (uint32, bool) {
	if id >= 0 && id < int64(len(ix.dense)) && ix.dense[id] != 0 {
		return ix.dense[id] - 1, true
	}
	if ix.byID.n == 0 {
		return 0, false
	}
	return ix.byID.first(uint64(id))
}

func (ix *Index) alloc(id int64) uint32 {
	var idx uint32
	if n := len(ix.free); n > 0 {
		idx = ix.free[n-1]
		ix.free = ix.free[:n-1]
		ix.ids[idx] = id
	} else {
		idx = uint32(len(ix.ids))
		ix.ids = append(ix.ids, id)
		ix.recs = append(ix.recs, rec{})
		ix.pids = append(ix.pids, 0)
		ix.phones = append(ix.phones, 0)
	}
	if id >= 0 && id < int64(max(4*len(ix.ids), 1<<20)) {
		if id >= int64(len(ix.dense)) {
			ix.dense = slices.Grow(ix.dense, int(id)+1-len(ix.dense))[:id+1]
		}
		ix.dense[id] = idx + 1
	} else {
		ix.byID.insert(idx)
	}
	return idx
}

// store writes r into slot idx (whose old content, if any, is unindexed).
func (ix *Index) store(idx uint32, r Record, reuse bool) {
	old := ix.recs[idx]
	words := ix.scratch[:0]
	splitName(r.Name, func(w []byte) { words = append(words, ix.v.accID(w)) })
	ix.scratch = words
	if len(words) > 255 {
		words = words[:255]
	}
	rc := rec{
		dob:     packDate(r.DOB),
		groups:  r.Groups,
		commune: ix.pl.commune(r.Commune),
		ntok:    uint8(len(words)),
		sex:     uint8(r.Sex),
		live:    true,
	}
	if int(rc.commune) >= len(ix.byCommune) {
		ix.byCommune = append(ix.byCommune, make([][]uint32, int(rc.commune)+1-len(ix.byCommune))...)
	}
	if reuse && len(words) <= int(old.ntok) {
		rc.tokOff = old.tokOff
		ix.waste += 4 * (int(old.ntok) - len(words))
		copy(ix.toks[rc.tokOff:], words)
	} else {
		if reuse {
			ix.waste += 4 * int(old.ntok)
		}
		rc.tokOff = uint32(len(ix.toks))
		ix.toks = append(ix.toks, words...)
	}
	name := r.Name
	if len(name) > 1<<16-1 {
		name = name[:1<<16-1]
	}
	rc.nameLen = uint16(len(name))
	if reuse && len(name) <= int(old.nameLen) {
		rc.nameOff = old.nameOff
		ix.waste += int(old.nameLen) - len(name)
		copy(ix.names[rc.nameOff:], name)
	} else {
		if reuse {
			ix.waste += int(old.nameLen)
		}
		rc.nameOff = uint32(len(ix.names))
		ix.names = append(ix.names, name...)
	}
	ix.recs[idx] = rc
	ix.pids[idx] = parsePID(r.PID)
	ix.phones[idx] = parsePhone(r.Phone)
	if ix.waste > 64<<20 && ix.waste > len(ix.names)/2 {
		ix.compact()
	}
}

// words returns the accented syllable ids of slot idx.
func (ix *Index) words(idx uint32) []uint32 {
	r := &ix.recs[idx]
	return ix.toks[r.tokOff : r.tokOff+uint32(r.ntok)]
}

// postOf builds the posting entry of slot idx.
func (ix *Index) postOf(idx uint32) post {
	r := &ix.recs[idx]
	p := post{idx: idx, commune: r.commune, flags: r.sex & 3}
	if y := dateYear(r.dob); y >= 1900 && y < 2156 {
		p.year = uint8(y - 1900)
	}
	w := ix.words(idx)
	if len(w) > 4 {
		p.flags |= postLong
	}
	for i := 0; i < len(w) && i < 4; i++ {
		if w[i] >= bigTok {
			p.toks[i] = bigTok
			p.flags |= postLong
		} else {
			p.toks[i] = uint16(w[i])
		}
	}
	return p
}

// index adds slot idx to the postings, chains and counts.
func (ix *Index) index(idx uint32) {
	r := &ix.recs[idx]
	prov := ix.pl.provOf[r.commune]
	p := ix.postOf(idx)
	w := ix.words(idx)
	part := partOf(prov)
	for i, t := range w {
		if slices.Contains(w[:i], t) {
			continue
		}
		a := &ix.v.acc[t]
		if part >= len(a.post) {
			a.post = append(a.post, make([][]post, part+1-len(a.post))...)
		}
		a.post[part] = insertPost(a.post[part], p)
		a.n++
	}
	ix.count(w, 1)
	ix.byCommune[r.commune] = insertSlot(ix.byCommune[r.commune], idx)
	ix.provCount[prov]++
	ix.countDate(r.dob, 1)
	if ix.pids[idx] != 0 {
		ix.pidTab.insert(idx)
	}
	if ix.phones[idx] != 0 {
		ix.phoneTab.insert(idx)
	}
	ix.live++
}

// unindex undoes index.
func (ix *Index) unindex(idx uint32) {
	r := &ix.recs[idx]
	prov := ix.pl.provOf[r.commune]
	w := ix.words(idx)
	for i, t := range w {
		if slices.Contains(w[:i], t) {
			continue
		}
		a := &ix.v.acc[t]
		part := partOf(prov)
		a.post[part] = removePost(a.post[part], idx)
		a.n--
	}
	ix.count(w, -1)
	ix.byCommune[r.commune] = removeSlot(ix.byCommune[r.commune], idx)
	ix.provCount[prov]--
	ix.countDate(r.dob, -1)
	if ix.pids[idx] != 0 {
		ix.pidTab.remove(idx)
	}
	if ix.phones[idx] != 0 {
		ix.phoneTab.remove(idx)
	}
	ix.live--
}

// count adds d to the statistics of the folded syllables of a name: how
// many records hold each, and in which position.
func (ix *Index) count(w []uint32, d int) {
	n := len(w)
	for i, t := range w {
		f := ix.v.acc[t].fold
		dup := false
		for _, u := range w[:i] {
			if ix.v.acc[u].fold == f {
				dup = true
				break
			}
		}
		fs := &ix.v.fold[f]
		if !dup {
			fs.n = uint32(int(fs.n) + d)
		}
		switch {
		case i == n-1:
			fs.last = uint32(int(fs.last) + d)
		case i == 0:
			fs.first = uint32(int(fs.first) + d)
		default:
			fs.mid = uint32(int(fs.mid) + d)
		}
	}
}

func (ix *Index) countDate(v uint32, d int) {
	if v == 0 {
		return
	}
	dt := unpackDate(v)
	y := dt.Year - 1900
	if y < 0 || y > 255 {
		return
	}
	add := func(p *uint32) { *p = uint32(int(*p) + d) }
	add(&ix.yearCount[y])
	add(&ix.nYear)
	if dt.Precision == dates.Day || dt.Precision == dates.Month {
		add(&ix.monthCount[y*13+dt.Month])
		add(&ix.nMonth)
	}
	if dt.Precision == dates.Day {
		add(&ix.dayCount[(y*13+dt.Month)*32+dt.Day])
		add(&ix.nDay)
	}
}

func insertPost(list []post, p post) []post {
	if n := len(list); n == 0 || list[n-1].idx < p.idx {
		return append(list, p)
	}
	i, _ := slices.BinarySearchFunc(list, p.idx, func(e post, t uint32) int { return cmpU32(e.idx, t) })
	return slices.Insert(list, i, p)
}

func removePost(list []post, idx uint32) []post {
	i, ok := slices.BinarySearchFunc(list, idx, func(e post, t uint32) int { return cmpU32(e.idx, t) })
	if !ok {
		return list
	}
	return slices.Delete(list, i, i+1)
}

func insertSlot(list []uint32, idx uint32) []uint32 {
	if n := len(list); n == 0 || list[n-1] < idx {
		return append(list, idx)
	}
	i, _ := slices.BinarySearch(list, idx)
	return slices.Insert(list, i, idx)
}

func removeSlot(list []uint32, idx uint32) []uint32 {
	i, ok := slices.BinarySearch(list, idx)
	if !ok {
		return list
	}
	return slices.Delete(list, i, i+1)
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compact rewrites the name and word arenas without the space replaced and
// deleted records left behind.
func (ix *Index) compact() {
	names := make([]byte, 0, len(ix.names)-ix.waste/2)
	toks := make([]uint32, 0, len(ix.toks))
	for i := range ix.recs {
		r := &ix.recs[i]
		if !r.live {
			continue
		}
		off := uint32(len(names))
		names = append(names, ix.names[r.nameOff:r.nameOff+uint32(r.nameLen)]...)
		r.nameOff = off
		toff := uint32(len(toks))
		toks = append(toks, ix.toks[r.tokOff:r.tokOff+uint32(r.ntok)]...)
		r.tokOff = toff
	}
	ix.names, ix.toks, ix.waste = names, toks, 0
}

// packDate stores a date in 32 bits: year, month, day, precision and the
// estimate flag; 0 is the unknown date.
func packDate(d dates.Date) uint32 {
	if d.IsZero() || d.Year < 0 || d.Year > 4095 {
		return 0
	}
	v := uint32(d.Year)<<16 | uint32(d.Month&15)<<11 | uint32(d.Day&31)<<6 | uint32(d.Precision&3)<<1
	if d.Estimated {
		v |= 1
	}
	return v
}

func unpackDate(v uint32) dates.Date {
	if v == 0 {
		return dates.Date{}
	}
	return dates.Date{
		Year:      int(v >> 16),
		Month:     int(v >> 11 & 15),
		Day:       int(v >> 6 & 31),
		Precision: dates.Precision(v >> 1 & 3),
		Estimated: v&1 == 1,
	}
}

func dateYear(v uint32) int { return int(v >> 16) }

// parsePID keeps a 12-digit number as an integer; anything else is 0.
func parsePID(s string) uint64 {
	if len(s) != 12 {
		return 0
	}
	n, ok := digitsValue(s)
	if !ok {
		return 0
	}
	return n | 1<<62 // so that 000000000000 is not "none"
}

func digitsValue(s string) (uint64, bool) {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

func formatPID(v uint64) string {
	s := strconv.FormatUint(v&^(1<<62), 10)
	for len(s) < 12 {
		s = "0" + s
	}
	return s
}

// PhoneKey is the form of a phone for a caller that must not give the
// index the number itself: a keyed hash of it (at least 8 bytes; the
// first 8 are used). Records and candidates agree on a phone when their
// keys are equal; a key is never shown back.
func PhoneKey(hash []byte) string {
	if len(hash) < 8 {
		return ""
	}
	return "#" + hex.EncodeToString(hash[:8])
}

// A phone held as a key has the top bit set: a parsed number never does
// (its length is at most 15, in bits 56–59).
const phoneKeyBit = 1 << 63

// parsePhone keeps a phone number in national form (digits, leading 0) as
// an integer with its length; input not yet normalised is normalised. A
// PhoneKey is kept as its 63 low bits with the top bit set.
func parsePhone(s string) uint64 {
	if s == "" {
		return 0
	}
	if s[0] == '#' {
		b, err := hex.DecodeString(s[1:])
		if err != nil || len(b) != 8 {
			return 0
		}
		return binary.BigEndian.Uint64(b) | phoneKeyBit
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			n, err := ident.NormalizePhone(s)
			if err != nil {
				return 0
			}
			s = n
			break
		}
	}
	if len(s) < 8 || len(s) > 15 {
		return 0
	}
	n, ok := digitsValue(s)
	if !ok {
		return 0
	}
	return n | uint64(len(s))<<56
}

func formatPhone(v uint64) string {
	if v&phoneKeyBit != 0 {
		return "" // a key: the number is not known here
	}
	l := int(v >> 56)
	s := strconv.FormatUint(v&(1<<56-1), 10)
	for len(s) < l {
		s = "0" + s
	}
	return s
}

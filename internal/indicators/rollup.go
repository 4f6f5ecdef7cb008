package indicators

import (
	"slices"
)

// axis is the run of years the roll-ups hold. Each year has 17 periods:
// the year, 4 quarters and 12 months. Province rows keep all of them;
// commune rows keep years and quarters (months of one commune are
// computed from its facts when asked).
type axis struct {
	from, to int // years, inclusive
}

func (a axis) years() int { return a.to - a.from + 1 }

// periods is the number of periods of province rows; communeSpan of
// commune rows.
func (a axis) periods() int     { return 17 * a.years() }
func (a axis) communeSpan() int { return 5 * a.years() }

// index returns a period's position, or -1 outside the axis.
func (a axis) index(p Period) int {
	if p.Year < a.from || p.Year > a.to {
		return -1
	}
	y := p.Year - a.from
	switch p.Type {
	case Quarterly:
		return a.years() + 4*y + p.N - 1
	case Monthly:
		return 5*a.years() + 12*y + p.N - 1
	}
	return y
}

// period is the inverse of index.
func (a axis) period(i int) Period {
	ny := a.years()
	switch {
	case i < ny:
		return Period{Type: Yearly, Year: a.from + i}
	case i < 5*ny:
		j := i - ny
		return Period{Type: Quarterly, Year: a.from + j/4, N: j%4 + 1}
	}
	j := i - 5*ny
	return Period{Type: Monthly, Year: a.from + j/12, N: j%12 + 1}
}

// cube holds the roll-ups of one catalogue: per measure, province rows
// (34 provinces and "unknown") with every dimension slot and every
// period, and commune rows with the total for years and quarters.
type cube struct {
	ax    axis
	nProv int
	prov  [][]int64   // measure → [(prov*periods + period)*slots + slot]
	comm  [][][]int64 // measure → commune → [period] (years and quarters), nil until used
	slots []int       // measure → slots
}

func newCube(c *Catalogue, ax axis, nProv, nCommunes int) *cube {
	k := &cube{ax: ax, nProv: nProv + 1}
	for _, m := range c.Measures {
		k.slots = append(k.slots, m.layout.size)
		k.prov = append(k.prov, make([]int64, k.nProv*ax.periods()*m.layout.size))
		k.comm = append(k.comm, make([][]int64, nCommunes))
	}
	return k
}

// provRow is the province row's number for a unit: 0 for unknown, then
// provinces.
func (k *cube) add(mi, provRow, commune, period, slot int, v int64) {
	s := k.slots[mi]
	k.prov[mi][(provRow*k.ax.periods()+period)*s+slot] += v
	if slot == 0 && commune >= 0 && period < k.ax.communeSpan() {
		row := k.comm[mi][commune]
		if row == nil {
			row = make([]int64, k.ax.communeSpan())
			k.comm[mi][commune] = row
		}
		row[period] += v
	}
}

func (k *cube) provValue(mi, provRow, period, slot int) int64 {
	return k.prov[mi][(provRow*k.ax.periods()+period)*k.slots[mi]+slot]
}

func (k *cube) nationValue(mi, period, slot int) int64 {
	var sum int64
	for p := 0; p < k.nProv; p++ {
		sum += k.provValue(mi, p, period, slot)
	}
	return sum
}

func (k *cube) communeValue(mi, commune, period int) int64 {
	row := k.comm[mi][commune]
	if row == nil {
		return 0
	}
	return row[period]
}

// sink receives contributions. Roll-ups add them to the cube; a scan of
// one commune collects them.
type sink interface {
	add(mi, unit, period, slot int, v int64)
}

// cubeSink adds contributions (times sign) to a cube.
type cubeSink struct {
	k    *cube
	u    *units
	sign int64
}

func (s cubeSink) add(mi, unit, period, slot int, v int64) {
	commune := -1
	if s.u.isCommune(unit) {
		commune = s.u.communeIdx(unit)
	}
	s.k.add(mi, s.u.provinceNumber(unit), commune, period, slot, s.sign*v)
}

// calc computes what one entity's facts contribute to each measure of a
// source. It keeps buffers between entities, so one goroutine uses it.
type calc struct {
	cat      *Catalogue
	ax       axis
	measures []int // indexes into cat.Measures of the source's measures
	age      int32 // interned dimension codes
	sex      int32
	kindOf   []int32 // measure → interned kind
	alsoOf   []int32
	// per-entity scratch
	marks      []periodMark
	slots      []int
	one        [1]*fact
	attrFacts  []*fact
	unitsSeen  []int
	byPeriod   []int32 // period → mark number, valid when gen matches
	gen        []uint32
	generation uint32
}

type periodMark struct {
	period  int
	lastDay int32
	fact    int // index of the fact giving lastDay
}

func newCalc(cat *Catalogue, ax axis, source string) *calc {
	c := &calc{cat: cat, ax: ax, age: internID("age"), sex: internID("sex"),
		byPeriod: make([]int32, ax.periods()), gen: make([]uint32, ax.periods()), generation: 1}
	c.kindOf = make([]int32, len(cat.Measures))
	c.alsoOf = make([]int32, len(cat.Measures))
	for i, m := range cat.Measures {
		c.kindOf[i] = internID(m.Kind)
		c.alsoOf[i] = -1
		if m.Also != "" {
			c.alsoOf[i] = internID(m.Also)
		}
		if m.Source == source && m.Count != CountUnits {
			c.measures = append(c.measures, i)
		}
	}
	return c
}

// periodsOf calls f with each period (index) a fact counts in, and the
// last day of the fact within it.
func (c *calc) periodsOf(f *fact, within bool, fn func(period int, lastDay int32)) {
	on, until := f.on, f.until
	event := on == until
	for t := Yearly; t <= Monthly; t++ {
		if event || within {
			p := periodOf(t, on)
			if !event && periodOf(t, until) != p {
				continue // a span counts only in periods that contain it
			}
			if i := c.ax.index(p); i >= 0 {
				fn(i, until)
			}
			continue
		}
		// A span counts in every period it touches.
		first, last := periodOf(t, max(on, int32(c.ax.from*10000+101))), periodOf(t, min(until, int32(c.ax.to*10000+1231)))
		if on > int32(c.ax.to*10000+1231) || until < int32(c.ax.from*10000+101) {
			continue
		}
		for p := first; ; p = nextPeriod(p) {
			i := c.ax.index(p)
			if i >= 0 {
				fn(i, min(until, p.End()))
			}
			if p == last {
				break
			}
		}
	}
}

func nextPeriod(p Period) Period {
	switch p.Type {
	case Quarterly:
		if p.N == 4 {
			return Period{Type: Quarterly, Year: p.Year + 1, N: 1}
		}
		p.N++
	case Monthly:
		if p.N == 12 {
			return Period{Type: Monthly, Year: p.Year + 1, N: 1}
		}
		p.N++
	default:
		p.Year++
	}
	return p
}

// ageGroup is the age group's value at day for a child born on born:
// whole years by yyyymmdd arithmetic, which both databases do the same way.
func ageGroup(born, day int32) string {
	if born <= 0 || day < born {
		return Unknown
	}
	switch age := (day - born) / 10000; {
	case age <= 5:
		return "0_5"
	case age <= 10:
		return "6_10"
	case age <= 15:
		return "11_15"
	}
	return "16_plus"
}

var ageIDs = map[string]int32{}

func ageID(g string) int32 {
	if id, ok := ageIDs[g]; ok {
		return id
	}
	return internID(g)
}

func init() {
	for _, g := range []string{"0_5", "6_10", "11_15", "16_plus", Unknown} {
		ageIDs[g] = internID(g)
	}
}

func (c *calc) passes(m *Measure, f *fact, kind int32) bool {
	if f.kind != kind {
		return false
	}
	for _, w := range m.filter {
		ok := false
		for _, a := range f.attrs {
			if a[0] == w[0] && a[1] == w[1] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// slotsFor lists the slots a counted thing goes to: the total, then per
// dimension its value (exclusive: one, else every value found). fs are
// the facts whose attributes apply; who gives sex and birth; day is the
// day age is taken at.
func (c *calc) slotsFor(m *Measure, who *fact, day int32, fs []*fact) []int {
	out := append(c.slots[:0], 0)
	l := &m.layout
	for di, did := range l.ids {
		switch l.role[di] {
		case roleSex:
			out = append(out, l.slot(di, who.sex))
		case roleAge:
			out = append(out, l.slot(di, ageID(ageGroup(who.born, day))))
		case roleExclusive:
			v := int32(-1)
			for _, a := range who.attrs {
				if a[0] == did {
					v = a[1]
					break
				}
			}
			out = append(out, l.slot(di, v))
		default:
			start := len(out)
			for _, f := range fs {
				for _, a := range f.attrs {
					if a[0] == did {
						s := l.slot(di, a[1])
						if !slices.Contains(out[start:], s) {
							out = append(out, s)
						}
					}
				}
			}
			if len(out) == start {
				out = append(out, l.slot(di, -1))
			}
		}
	}
	c.slots = out
	return out
}

// contribute sends what an entity's facts count to the sink.
func (c *calc) contribute(fs []fact, out sink) {
	for _, mi := range c.measures {
		m := c.cat.Measures[mi]
		kind := c.kindOf[mi]
		within := m.Match == "within"
		switch m.Count {
		case CountFacts, CountSum:
			for i := range fs {
				f := &fs[i]
				if !c.passes(m, f, kind) {
					continue
				}
				v := int64(1)
				if m.Count == CountSum {
					v = f.value
				}
				c.one[0] = f
				c.periodsOf(f, within, func(p int, last int32) {
					for _, s := range c.slotsFor(m, f, last, c.one[:]) {
						out.add(mi, f.unit, p, s, v)
					}
				})
			}
		case CountEntities:
			c.entities(mi, m, fs, kind, within, out)
		}
	}
}

// entities counts the entity once per unit and period in which it has a
// qualifying fact (and, with Also, a fact of that kind too). Sex, age and
// exclusive values come from the fact that holds latest in the period;
// age is taken on that day.
func (c *calc) entities(mi int, m *Measure, fs []fact, kind int32, within bool, out sink) {
	// The units the entity has qualifying facts in: nearly always one.
	c.unitsSeen = c.unitsSeen[:0]
	for i := range fs {
		if c.passes(m, &fs[i], kind) && !slices.Contains(c.unitsSeen, fs[i].unit) {
			c.unitsSeen = append(c.unitsSeen, fs[i].unit)
		}
	}
	also := c.alsoOf[mi]
	for _, unit := range c.unitsSeen {
		marks := c.marks[:0]
		for i := range fs {
			f := &fs[i]
			if f.unit != unit || !c.passes(m, f, kind) {
				continue
			}
			c.periodsOf(f, within, func(p int, last int32) {
				if j := c.byPeriod[p]; j > 0 && c.gen[p] == c.generation {
					mk := &marks[j-1]
					if last > mk.lastDay {
						mk.lastDay, mk.fact = last, i
					}
					return
				}
				marks = append(marks, periodMark{period: p, lastDay: last, fact: i})
				c.byPeriod[p], c.gen[p] = int32(len(marks)), c.generation
			})
		}
		c.generation++
		c.marks = marks
		for _, mk := range marks {
			p := c.ax.period(mk.period)
			start, end := p.Start(), p.End()
			attrFacts := c.attrFacts[:0]
			hasAlso := also < 0
			for i := range fs {
				f := &fs[i]
				if f.on > end || f.until < start {
					continue
				}
				if f.unit == unit && c.passes(m, f, kind) {
					attrFacts = append(attrFacts, f)
				}
				if also >= 0 && f.kind == also {
					hasAlso = true
					attrFacts = append(attrFacts, f)
				}
			}
			c.attrFacts = attrFacts
			if !hasAlso {
				continue
			}
			for _, s := range c.slotsFor(m, &fs[mk.fact], mk.lastDay, attrFacts) {
				out.add(mi, unit, mk.period, s, 1)
			}
		}
	}
}

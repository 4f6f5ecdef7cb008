// Package synth invents realistic Vietnamese children, caregivers and
// callers for demonstrations, load tests and the evaluation of duplicate
// matching. Everything is deterministic from a seed and pure: no database,
// no network.
//
// Children get names with the distributions of real Vietnamese names
// (Nguyễn for about 38%, the middle names Văn and Thị, a few hundred given
// names per sex with Zipf-like frequencies) and of the ethnic minorities
// where they live (HMông in Lai Châu, Ê Đê in Đắk Lắk, Khmer in Cần Thơ …);
// a date of birth that makes them 0–15 on the given day; a real current
// commune, urban wards weighted denser; a personal ID number that is valid
// and agrees with the date of birth, the sex and the old province of the
// commune; a caregiver and often a phone; and, for the registry, the
// special-circumstance groups of the Law on Children.
//
// Reword writes a known child down again the way a second report would:
// diacritics dropped or wrong, words moved, typos, a date in another form,
// an old commune code. It is what the matching evaluation feeds the index.
package synth

import (
	"math/rand/v2"
	"time"

	"treem/internal/dates"
	"treem/internal/ident"
)

// Child is an invented child as a commune's registry or a report holds it.
type Child struct {
	Name string
	DOB  dates.Date
	// DOBText is the date as it was written: "07/05/2016" for a registry
	// record, "7/5/16", "2016" or "05/2016" in a second report. It parses
	// (dates.Parse) to DOB.
	DOBText string
	Sex     ident.Sex
	// Commune is the current 5-digit commune code; "" when a report gave
	// none or gave OldCommune instead.
	Commune string
	// OldCommune is a pre-July-2025 commune code a report gave in place of
	// the current one (only Reword sets it).
	OldCommune string
	Ethnicity  string    // 1979 code, "01" Kinh … (ident.EthnicityByCode)
	PID        string    // 12-digit personal ID number, or ""
	Phone      string    // the caregiver's phone in national form, or ""
	Groups     []string  // special-circumstance groups, the law's letters: "a", "d", "đ" …
	Caregiver  Caregiver // who looks after the child
	name       nameParts
}

// Caregiver is the adult a child lives with.
type Caregiver struct {
	Name     string
	Relation string // "mother", "father", "grandmother", "grandfather", "aunt", "uncle", "sibling", "guardian"
	Phone    string
}

// Adult is an invented grown-up, such as a hotline caller.
type Adult struct {
	Name      string
	Sex       ident.Sex
	BirthYear int
	Commune   string
	Ethnicity string
	Phone     string
}

// Generator invents people. It is not safe for concurrent use; make one
// per goroutine with different seeds.
type Generator struct {
	r      *rand.Rand
	p      *places
	asOf   time.Time
	oldest int // day number of the earliest date of birth (16 years before asOf, plus a day)
	span   int // number of possible days of birth
	// serials hands out personal-ID serials: per province, century-and-sex
	// digit and two-digit year, a counter run through a bijection of
	// 0..999999, so that numbers never repeat within a generator.
	serials   map[uint32]uint32
	pidOffset uint32
	phones    uint32
}

// New returns a generator for children aged 0–15 on the calendar day of
// asOf. The same seed and day give the same people in the same order.
func New(seed uint64, asOf time.Time) *Generator {
	y, m, d := asOf.Date()
	today := dayNumber(y, int(m), d)
	oldest := dayNumber(y-16, int(m), d) + 1
	g := &Generator{
		r:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		p:       loadPlaces(),
		asOf:    asOf,
		oldest:  oldest,
		span:    today - oldest + 1,
		serials: make(map[uint32]uint32),
	}
	g.pidOffset = uint32(g.r.IntN(1_000_000))
	g.phones = uint32(g.r.IntN(1 << 20))
	return g
}

// Rand returns the generator's source of randomness, for callers that need
// more draws in the same deterministic stream (Reword, for one).
func (g *Generator) Rand() *rand.Rand { return g.r }

// Child invents a child of the general population: about 7% are in
// special circumstances and have Groups.
func (g *Generator) Child() Child {
	ci := g.p.pick.draw(g.r)
	c := g.child(ci)
	if g.r.IntN(1000) < 70 {
		c.Groups = g.groups()
	}
	c.Caregiver = g.caregiver(&c, ci)
	return c
}

// RegistryChild invents a child as the registry of children in special
// circumstances holds one: always in at least one group.
func (g *Generator) RegistryChild() Child {
	ci := g.p.pick.draw(g.r)
	c := g.child(ci)
	c.Groups = g.groups()
	c.Caregiver = g.caregiver(&c, ci)
	return c
}

// Sibling invents a brother or sister of c: same family name and often the
// same middle name, same commune, caregiver and phone, another given name,
// born one to six years apart or, now and then, a twin.
func (g *Generator) Sibling(c Child) Child {
	ci := g.p.communeIndex(c.Commune)
	if ci < 0 {
		ci = g.p.pick.draw(g.r)
	}
	s := g.child(ci)
	s.Ethnicity = c.Ethnicity
	reg := provinces[g.p.communes[ci].prov].region
	cn := partsOf(c)
	n := makeName(g.r, c.Ethnicity, s.Sex, reg)
	if cn.style == n.style {
		n.family = cn.family
		if s.Sex == c.Sex && g.r.IntN(10) < 6 {
			n.middle = cn.middle
		}
	}
	for range 20 {
		if n.given != cn.given {
			break
		}
		n.given = makeName(g.r, c.Ethnicity, s.Sex, reg).given
	}
	s.name = n
	s.Name = n.full()
	if g.r.IntN(30) > 0 && !c.DOB.IsZero() {
		years := 1 + g.r.IntN(6)
		if g.r.IntN(2) == 0 {
			years = -years
		}
		day := g.clampDay(dayNumber(c.DOB.Year, max(c.DOB.Month, 1), max(c.DOB.Day, 1)) + years*365 + g.r.IntN(200) - 100)
		s.DOB = exactDate(day)
	} else {
		s.DOB = c.DOB
	}
	s.DOBText = s.DOB.String()
	s.PID = ""
	if c.PID != "" {
		s.PID = g.pid(s.DOB, s.Sex, c.PID[:3])
	}
	s.Phone = c.Phone
	s.Caregiver = c.Caregiver
	s.Groups = g.groups()
	return s
}

// Namesake invents a different child with the same name, sex and year of
// birth as c, living wherever children live.
func (g *Generator) Namesake(c Child) Child {
	ci := g.p.pick.draw(g.r)
	s := g.child(ci)
	s.Name, s.name, s.Sex, s.Ethnicity = c.Name, c.name, c.Sex, c.Ethnicity
	if c.DOB.Year != 0 {
		for range 1000 {
			day := dayNumber(c.DOB.Year, 1, 1) + g.r.IntN(365)
			if day >= g.oldest && day < g.oldest+g.span {
				s.DOB = exactDate(day)
				break
			}
		}
	}
	s.DOBText = s.DOB.String()
	if s.PID != "" {
		s.PID = g.pid(s.DOB, s.Sex, g.p.communes[g.p.communeIndex(s.Commune)].pidProv)
	}
	s.Groups = g.groups()
	s.Caregiver = g.caregiver(&s, ci)
	return s
}

// Adult invents a grown-up (a hotline caller, a caregiver) aged 18–65.
func (g *Generator) Adult() Adult {
	ci := g.p.pick.draw(g.r)
	cm := g.p.communes[ci]
	eth := cm.ethCodes[cm.ethnic.draw(g.r)]
	sex := ident.Male
	if g.r.IntN(100) < 60 { // most callers about children are women
		sex = ident.Female
	}
	return Adult{
		Name:      adultName(g.r, eth, sex, provinces[cm.prov].region, ""),
		Sex:       sex,
		BirthYear: g.asOf.Year() - 18 - g.r.IntN(48),
		Commune:   cm.code,
		Ethnicity: eth,
		Phone:     g.phone(),
	}
}

// child invents the core of a child living in commune ci.
func (g *Generator) child(ci int) Child {
	r := g.r
	cm := &g.p.communes[ci]
	c := Child{Commune: cm.code}
	c.Ethnicity = cm.ethCodes[cm.ethnic.draw(r)]
	c.Sex = ident.Male
	if r.IntN(1000) < 490 {
		c.Sex = ident.Female
	}
	c.name = makeName(r, c.Ethnicity, c.Sex, provinces[cm.prov].region)
	c.Name = c.name.full()
	c.DOB = exactDate(g.oldest + r.IntN(g.span))
	// Registries hold some dates only roughly known; a rough date must still
	// make the child under 16 counted from its first possible day.
	switch n := r.IntN(100); {
	case n < 3 && dayNumber(c.DOB.Year, c.DOB.Month, 1) >= g.oldest:
		c.DOB = dates.Date{Year: c.DOB.Year, Month: c.DOB.Month, Precision: dates.Month}
	case n < 5 && dayNumber(c.DOB.Year, 1, 1) >= g.oldest:
		c.DOB = dates.Date{Year: c.DOB.Year, Precision: dates.Year, Estimated: true}
	}
	c.DOBText = dateText(c.DOB)
	if r.IntN(100) < 75 { // most children have a personal ID number since birth registration went online
		prov := cm.pidProv
		if r.IntN(100) < 8 { // born elsewhere
			prov = g.p.pidProvs[r.IntN(len(g.p.pidProvs))]
		}
		c.PID = g.pid(c.DOB, c.Sex, prov)
	}
	if r.IntN(100) < 65 {
		c.Phone = g.phone()
	}
	return c
}

// groupShares are the special-circumstance groups (Luật Trẻ em, Điều 10,
// letters as in DOMAIN.md) and how common each is among children in
// special circumstances: disability, serious illness and orphans first.
var groupShares = weighted(`d:34, n:20, a:10, c:5, b:2, đ:2, e:3, g:1, h:7, i:4, k:3, l:3, m:0.5, o:2.5`)

func (g *Generator) groups() []string {
	n := 1
	if g.r.IntN(100) < 12 {
		n = 2
	}
	out := make([]string, 0, n)
	for len(out) < n {
		x := groupShares.draw(g.r)
		if len(out) == 0 || out[0] != x {
			out = append(out, x)
		}
	}
	return out
}

var relations = weighted(`mother:55, father:20, grandmother:12, grandfather:4, aunt:3, uncle:2, sibling:2, guardian:2`)

func (g *Generator) caregiver(c *Child, ci int) Caregiver {
	rel := relations.draw(g.r)
	for _, grp := range c.Groups {
		if grp == "a" || grp == "b" || grp == "c" { // no parents to care for them
			rel = [...]string{"grandmother", "grandfather", "aunt", "uncle", "guardian"}[g.r.IntN(5)]
		}
	}
	sex := ident.Female
	switch rel {
	case "father", "grandfather", "uncle":
		sex = ident.Male
	case "sibling", "guardian":
		if g.r.IntN(2) == 0 {
			sex = ident.Male
		}
	}
	family := ""
	if rel == "father" || rel == "grandfather" || rel == "sibling" {
		family = c.name.family
	}
	reg := provinces[g.p.communes[ci].prov].region
	return Caregiver{Name: adultName(g.r, c.Ethnicity, sex, reg, family), Relation: rel, Phone: c.Phone}
}

// pid makes a valid personal ID number for the date of birth and sex,
// registered in the old province prov ("079").
func (g *Generator) pid(dob dates.Date, sex ident.Sex, prov string) string {
	year := dob.Year
	digit := (year/100-19)*2 + sexIndex(sex)
	p := int(prov[1]-'0')*10 + int(prov[2]-'0')
	key := uint32(p)<<16 | uint32(digit)<<8 | uint32(year%100)
	n := g.serials[key]
	g.serials[key] = n + 1
	serial := permute(uint64(n), 20, 1_000_000, uint64(g.pidOffset)^uint64(key)*0x9e3779b9)
	var b [12]byte
	copy(b[:3], prov)
	b[3] = byte('0' + digit)
	b[4] = byte('0' + year%100/10)
	b[5] = byte('0' + year%10)
	for i := 11; i >= 6; i-- {
		b[i] = byte('0' + serial%10)
		serial /= 10
	}
	return string(b[:])
}

// mobilePrefixes are Vietnamese mobile network prefixes in use since the 2018
// renumbering, roughly by number of subscribers.
var mobilePrefixes = weighted(`098:6, 097:6, 096:5, 086:4, 091:5, 094:4, 088:3, 090:5, 093:4, 089:3, 070:2, 079:2,
	077:2, 076:1, 078:1, 083:2, 084:2, 085:2, 081:2, 082:2, 032:3, 033:3, 034:3, 035:3, 036:3, 037:3, 038:3, 039:3,
	056:1, 058:1, 059:1, 099:1, 087:1`)

// phone makes a mobile number; numbers do not repeat within a generator.
func (g *Generator) phone() string {
	g.phones++
	n := permute(uint64(g.phones%10_000_000), 24, 10_000_000, uint64(g.pidOffset))
	var b [10]byte
	copy(b[:3], mobilePrefixes.draw(g.r))
	for i := 9; i >= 3; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}

// permute maps x < limit ≤ 2^bits to a number < limit, differently for
// each x (a bijection), so counters become serials that look random but
// never repeat. Each round (multiply by an odd number, add the key, fold the
// high bits down) is a bijection of 0..2^bits-1; values at or above limit
// walk the cycle again until they fall inside.
func permute(x uint64, bits uint, limit, key uint64) uint64 {
	mask := uint64(1)<<bits - 1
	for {
		for range 3 {
			x = (x*0x5851f42d4c957f2d + key) & mask
			x ^= x >> (bits / 2)
		}
		if x < limit {
			return x
		}
	}
}

// clampDay keeps a day number within the ages the generator makes.
func (g *Generator) clampDay(day int) int {
	return min(max(day, g.oldest), g.oldest+g.span-1)
}

// dayNumber counts days from 1970-01-01 in the proleptic Gregorian
// calendar (Howard Hinnant's days_from_civil).
func dayNumber(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civil is the inverse of dayNumber.
func civil(z int) (y, m, d int) {
	z += 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// dateText is d.String() without fmt, for speed.
func dateText(d dates.Date) string {
	if d.Precision != dates.Day || d.Estimated || d.Year < 1000 || d.Year > 9999 {
		return d.String()
	}
	b := [10]byte{byte('0' + d.Day/10), byte('0' + d.Day%10), '/', byte('0' + d.Month/10), byte('0' + d.Month%10), '/',
		byte('0' + d.Year/1000), byte('0' + d.Year/100%10), byte('0' + d.Year/10%10), byte('0' + d.Year%10)}
	return string(b[:])
}

func exactDate(day int) dates.Date {
	y, m, d := civil(day)
	return dates.Date{Year: y, Month: m, Day: d, Precision: dates.Day}
}

package indicators

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"treem/internal/errs"
	"treem/internal/store"
)

// Dimension is a way to break a figure down: sex, age group,
// special-circumstance group, form of abuse, channel, contact type.
// Exclusive dimensions put each counted thing in one value (their values
// sum to the total, with "unknown"); others may put it in several (a case
// of violence and sexual abuse counts under both forms).
type Dimension struct {
	Code      string     `json:"code"`
	NameVI    string     `json:"name_vi"`
	NameEN    string     `json:"name_en"`
	Exclusive bool       `json:"exclusive"`
	Values    []DimValue `json:"values"`
}

// DimValue is one value of a dimension.
type DimValue struct {
	Code string `json:"code"`
	VI   string `json:"vi"`
	EN   string `json:"en"`
}

// Unknown is the value of an exclusive dimension for a fact that does not say.
const Unknown = "unknown"

// Counting modes of a measure.
const (
	CountEntities = "entities" // distinct entities with a qualifying fact, once per unit and period
	CountFacts    = "facts"    // qualifying facts
	CountSum      = "sum"      // the sum of qualifying facts' values
	CountUnits    = "units"    // current communes of the unit (from the unit list, no facts)
)

// Measure is a number computed from facts: the building block of
// indicators' numerators and denominators.
type Measure struct {
	Code   string     `json:"code"`
	Source string     `json:"source"`
	Count  string     `json:"count"`
	Kind   string     `json:"kind"`            // fact kind counted
	Also   string     `json:"also,omitempty"`  // entities: must also have a fact of this kind in the period
	Where  []Filter   `json:"where,omitempty"` // facts must have these attribute values
	Match  string     `json:"match,omitempty"` // "overlap" (default): a span counts in every period it touches; "within": only in periods that contain it
	Dims   []string   `json:"dims"`
	layout dimLayout  // slots, built by the catalogue
	filter [][2]int32 // Where, interned
}

// Filter keeps facts with an attribute value.
type Filter struct {
	Dim   string `json:"dim"`
	Value string `json:"value"`
}

// Indicator is a published figure: numerator over denominator times factor.
type Indicator struct {
	Code           string   `json:"code"`
	Version        int      `json:"version"`
	Group          string   `json:"group"` // children, cases, hotline, communes, participation, fund, safety, health
	Headline       bool     `json:"headline,omitempty"`
	Unit           string   `json:"unit"` // children, percent, vnd, hours, …
	NameVI         string   `json:"name_vi"`
	NameEN         string   `json:"name_en"`
	DefVI          string   `json:"def_vi"`
	DefEN          string   `json:"def_en"`
	Numerator      []string `json:"numerator"`             // measure codes, summed
	Denominator    []string `json:"denominator,omitempty"` // measure codes, summed; none: the numerator is the value
	Factor         float64  `json:"factor"`
	Decimals       int      `json:"decimals,omitempty"`
	Dims           []string `json:"dims"`
	Periods        []string `json:"periods"`
	HigherIsBetter bool     `json:"higher_is_better,omitempty"`
	Basis          string   `json:"basis,omitempty"`   // legal basis
	Records        string   `json:"records,omitempty"` // link to the records behind a figure: {unit}, {province}, {period}
}

// Name is the indicator's name in lang.
func (i *Indicator) Name(lang string) string {
	if lang == "en" {
		return i.NameEN
	}
	return i.NameVI
}

// Definition is the indicator's definition in lang.
func (i *Indicator) Definition(lang string) string {
	if lang == "en" {
		return i.DefEN
	}
	return i.DefVI
}

// Ratio reports whether the indicator is a share or rate.
func (i *Indicator) Ratio() bool { return len(i.Denominator) > 0 }

// HasPeriod reports whether the indicator is published for periods of t.
func (i *Indicator) HasPeriod(t PeriodType) bool { return slices.Contains(i.Periods, t.String()) }

// HasDim reports whether the indicator can be broken down by dim.
func (i *Indicator) HasDim(dim string) bool { return slices.Contains(i.Dims, dim) }

// Catalogue is one version of the whole catalogue. It is immutable: an
// edit makes a new one.
type Catalogue struct {
	Dimensions []*Dimension
	Measures   []*Measure
	Indicators []*Indicator
	Forms      []*Form

	dims     map[string]*Dimension
	measures map[string]*Measure
	inds     map[string]*Indicator
	forms    map[string]*Form
}

// Dimension returns a dimension by code.
func (c *Catalogue) Dimension(code string) (*Dimension, bool) { d, ok := c.dims[code]; return d, ok }

// Measure returns a measure by code.
func (c *Catalogue) Measure(code string) (*Measure, bool) { m, ok := c.measures[code]; return m, ok }

// Indicator returns an indicator by code.
func (c *Catalogue) Indicator(code string) (*Indicator, bool) { i, ok := c.inds[code]; return i, ok }

// Form returns a return form by code.
func (c *Catalogue) Form(code string) (*Form, bool) { f, ok := c.forms[code]; return f, ok }

// DimLabel is a dimension value's label in lang.
func (c *Catalogue) DimLabel(dim, value, lang string) string {
	if value == Unknown {
		if lang == "en" {
			return "Unknown"
		}
		return "Không rõ"
	}
	if value == "" {
		if lang == "en" {
			return "Total"
		}
		return "Tổng số"
	}
	if d, ok := c.dims[dim]; ok {
		for _, v := range d.Values {
			if v.Code == value {
				if lang == "en" {
					return v.EN
				}
				return v.VI
			}
		}
	}
	return value
}

// DimName is a dimension's name in lang.
func (c *Catalogue) DimName(dim, lang string) string {
	if d, ok := c.dims[dim]; ok {
		if lang == "en" {
			return d.NameEN
		}
		return d.NameVI
	}
	return dim
}

// fingerprint identifies what the roll-ups depend on (dimensions and
// measures); a snapshot built with another cannot be used.
func (c *Catalogue) fingerprint() string {
	raw, _ := json.Marshal(struct {
		D []*Dimension
		M []*Measure
	}{c.Dimensions, c.Measures})
	return fmt.Sprintf("%x", fnv64(raw))
}

func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

//go:embed seed/catalogue.json
var seedCatalogue []byte

//go:embed seed/forms.json
var seedForms []byte

// SeedCatalogue is the catalogue shipped with treem.
func SeedCatalogue() (*Catalogue, error) {
	var raw struct {
		Dimensions []*Dimension `json:"dimensions"`
		Measures   []*Measure   `json:"measures"`
		Indicators []*Indicator `json:"indicators"`
	}
	if err := json.Unmarshal(seedCatalogue, &raw); err != nil {
		return nil, fmt.Errorf("seed catalogue: %w", err)
	}
	var forms struct {
		Forms []*Form `json:"forms"`
	}
	if err := json.Unmarshal(seedForms, &forms); err != nil {
		return nil, fmt.Errorf("seed forms: %w", err)
	}
	for _, i := range raw.Indicators {
		i.Version = 1
	}
	for _, f := range forms.Forms {
		f.Version = 1
	}
	return build(raw.Dimensions, raw.Measures, raw.Indicators, forms.Forms)
}

// build indexes and checks a catalogue.
func build(dims []*Dimension, ms []*Measure, inds []*Indicator, forms []*Form) (*Catalogue, error) {
	c := &Catalogue{Dimensions: dims, Measures: ms, Indicators: inds, Forms: forms,
		dims: map[string]*Dimension{}, measures: map[string]*Measure{}, inds: map[string]*Indicator{},
		forms: map[string]*Form{}}
	for _, d := range dims {
		if _, dup := c.dims[d.Code]; dup {
			return nil, fmt.Errorf("dimension %s twice", d.Code)
		}
		c.dims[d.Code] = d
	}
	for _, m := range ms {
		if _, dup := c.measures[m.Code]; dup {
			return nil, fmt.Errorf("measure %s twice", m.Code)
		}
		switch m.Count {
		case CountEntities, CountFacts, CountSum, CountUnits:
		default:
			return nil, fmt.Errorf("measure %s: unknown count %q", m.Code, m.Count)
		}
		if m.Match == "" {
			m.Match = "overlap"
		}
		if m.Match != "overlap" && m.Match != "within" {
			return nil, fmt.Errorf("measure %s: unknown match %q", m.Code, m.Match)
		}
		l, err := c.layout(m.Dims)
		if err != nil {
			return nil, fmt.Errorf("measure %s: %w", m.Code, err)
		}
		m.layout = l
		m.filter = nil
		for _, f := range m.Where {
			m.filter = append(m.filter, [2]int32{internID(f.Dim), internID(f.Value)})
		}
		c.measures[m.Code] = m
	}
	for _, i := range inds {
		if err := c.checkIndicator(i); err != nil {
			return nil, err
		}
		if _, dup := c.inds[i.Code]; dup {
			return nil, fmt.Errorf("indicator %s twice", i.Code)
		}
		c.inds[i.Code] = i
	}
	for _, f := range forms {
		if err := f.check(); err != nil {
			return nil, err
		}
		c.forms[f.Code] = f
	}
	return c, nil
}

// checkIndicator validates an indicator against the catalogue's measures
// and dimensions, reporting every problem at once.
func (c *Catalogue) checkIndicator(i *Indicator) error {
	v := errs.Validation()
	if !codeRE(i.Code) {
		v.Field("code", "indicators.code_format")
	}
	if strings.TrimSpace(i.NameVI) == "" {
		v.Field("name_vi", "indicators.required")
	}
	if strings.TrimSpace(i.NameEN) == "" {
		v.Field("name_en", "indicators.required")
	}
	if len(i.Numerator) == 0 {
		v.Field("numerator", "indicators.required")
	}
	for _, m := range i.Numerator {
		if _, ok := c.measures[m]; !ok {
			v.Field("numerator", "indicators.unknown_measure", "code", m)
		}
	}
	for _, m := range i.Denominator {
		if _, ok := c.measures[m]; !ok {
			v.Field("denominator", "indicators.unknown_measure", "code", m)
		}
	}
	if i.Factor <= 0 {
		v.Field("factor", "indicators.factor_positive")
	}
	for _, d := range i.Dims {
		for _, m := range append(slices.Clone(i.Numerator), i.Denominator...) {
			if ms, ok := c.measures[m]; ok && ms.Count != CountUnits && !slices.Contains(ms.Dims, d) && len(ms.Dims) > 0 {
				v.Field("dims", "indicators.dim_unsupported", "dim", d, "measure", m)
			}
		}
		if _, ok := c.dims[d]; !ok {
			v.Field("dims", "indicators.unknown_dim", "dim", d)
		}
	}
	if len(i.Periods) == 0 {
		v.Field("periods", "indicators.required")
	}
	for _, p := range i.Periods {
		if _, ok := ParsePeriodType(p); !ok {
			v.Field("periods", "indicators.unknown_period_type", "type", p)
		}
	}
	if i.Decimals < 0 || i.Decimals > 4 {
		v.Field("decimals", "indicators.decimals_range")
	}
	if i.Records != "" && !strings.HasPrefix(i.Records, "/") {
		v.Field("records", "indicators.records_relative")
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	return nil
}

func codeRE(s string) bool {
	if len(s) < 2 || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// dimLayout places a measure's counters: slot 0 is the total, then each
// dimension's values followed by its "unknown".
type dimLayout struct {
	dims  []string
	ids   []int32         // interned dimension codes
	role  []int8          // roleSex, roleAge, roleExclusive, roleMulti
	first []int           // first slot of each dimension
	index []map[int32]int // interned value → slot, per dimension
	size  int
}

const (
	roleSex int8 = iota
	roleAge
	roleExclusive
	roleMulti
)

func (c *Catalogue) layout(dims []string) (dimLayout, error) {
	l := dimLayout{dims: dims, size: 1}
	for _, code := range dims {
		d, ok := c.dims[code]
		if !ok {
			return l, fmt.Errorf("unknown dimension %q", code)
		}
		l.first = append(l.first, l.size)
		l.ids = append(l.ids, internID(code))
		switch {
		case code == "sex":
			l.role = append(l.role, roleSex)
		case code == "age":
			l.role = append(l.role, roleAge)
		case d.Exclusive:
			l.role = append(l.role, roleExclusive)
		default:
			l.role = append(l.role, roleMulti)
		}
		idx := map[int32]int{}
		for j, v := range d.Values {
			idx[internID(v.Code)] = l.size + j
		}
		l.index = append(l.index, idx)
		l.size += len(d.Values) + 1 // + unknown
	}
	return l, nil
}

// slot returns the counter slot of value in the dimension at position di.
func (l *dimLayout) slot(di int, value int32) int {
	if s, ok := l.index[di][value]; ok {
		return s
	}
	return l.first[di] + len(l.index[di]) // unknown
}

// dimPos returns the position of dim in the layout, or -1.
func (l *dimLayout) dimPos(dim string) int { return slices.Index(l.dims, dim) }

// values lists a dimension's value codes in slot order, "unknown" last.
func (c *Catalogue) values(dim string) []string {
	d := c.dims[dim]
	out := make([]string, 0, len(d.Values)+1)
	for _, v := range d.Values {
		out = append(out, v.Code)
	}
	return append(out, Unknown)
}

// interner turns strings (fact kinds, attribute names and values) into
// small numbers, so that facts are compact in memory. It only grows.
type interner struct {
	ids   map[string]int32
	names []string
}

func newInterner() *interner { return &interner{ids: map[string]int32{"": 0}, names: []string{""}} }

func (n *interner) id(s string) int32 {
	if i, ok := n.ids[s]; ok {
		return i
	}
	i := int32(len(n.names))
	n.ids[s] = i
	n.names = append(n.names, s)
	return i
}

func (n *interner) lookup(s string) (int32, bool) { i, ok := n.ids[s]; return i, ok }

// ---- storage of the catalogue: versioned rows of indicator_defs ----

// loadCatalogue reads the current version of every definition, seeding
// what is missing (a new database, or a release that adds an indicator).
func loadCatalogue(ctx context.Context, db *store.DB, now int64) (*Catalogue, error) {
	seed, err := SeedCatalogue()
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	rows, err := db.Read().QueryContext(ctx, `SELECT kind, code FROM indicator_defs WHERE valid_to = 0`)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	for rows.Next() {
		var k, c string
		if err := rows.Scan(&k, &c); err != nil {
			rows.Close()
			return nil, err
		}
		have[k+"/"+c] = true
	}
	rows.Close()
	type item struct {
		kind, code string
		body       any
	}
	var missing []item
	for _, d := range seed.Dimensions {
		missing = append(missing, item{"dimension", d.Code, d})
	}
	for _, m := range seed.Measures {
		missing = append(missing, item{"measure", m.Code, m})
	}
	for _, i := range seed.Indicators {
		missing = append(missing, item{"indicator", i.Code, i})
	}
	for _, f := range seed.Forms {
		missing = append(missing, item{"form", f.Code, f})
	}
	missing = slices.DeleteFunc(missing, func(it item) bool { return have[it.kind+"/"+it.code] })
	if len(missing) > 0 {
		err := db.Write(ctx, func(tx *store.Tx) error {
			for _, it := range missing {
				raw, err := json.Marshal(it.body)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_defs (kind, code, version, body, valid_from, changed_by_name, note)
					VALUES ($1, $2, 1, $3, $4, 'seed', 'seed') ON CONFLICT (kind, code, version) DO NOTHING`,
					it.kind, it.code, string(raw), now); err != nil {
					return fmt.Errorf("seed %s %s: %w", it.kind, it.code, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return readCatalogue(ctx, db.Read())
}

func readCatalogue(ctx context.Context, q store.Queryer) (*Catalogue, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, code, version, body FROM indicator_defs WHERE valid_to = 0`)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	defer rows.Close()
	var dims []*Dimension
	var ms []*Measure
	var inds []*Indicator
	var forms []*Form
	for rows.Next() {
		var kind, code, body string
		var version int
		if err := rows.Scan(&kind, &code, &version, &body); err != nil {
			return nil, err
		}
		bad := func(err error) error { return fmt.Errorf("catalogue %s %s: %w", kind, code, err) }
		switch kind {
		case "dimension":
			d := &Dimension{}
			if err := json.Unmarshal([]byte(body), d); err != nil {
				return nil, bad(err)
			}
			dims = append(dims, d)
		case "measure":
			m := &Measure{}
			if err := json.Unmarshal([]byte(body), m); err != nil {
				return nil, bad(err)
			}
			ms = append(ms, m)
		case "indicator":
			i := &Indicator{}
			if err := json.Unmarshal([]byte(body), i); err != nil {
				return nil, bad(err)
			}
			i.Version = version
			inds = append(inds, i)
		case "form":
			f := &Form{}
			if err := json.Unmarshal([]byte(body), f); err != nil {
				return nil, bad(err)
			}
			f.Version = version
			forms = append(forms, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// Shipped order: dimensions and measures as seeded, indicators by the
	// seed's order then code.
	seed, _ := SeedCatalogue()
	order := map[string]int{}
	for j, i := range seed.Indicators {
		order[i.Code] = j
	}
	for j, d := range seed.Dimensions {
		order["d/"+d.Code] = j
	}
	for j, m := range seed.Measures {
		order["m/"+m.Code] = j
	}
	for j, f := range seed.Forms {
		order["f/"+f.Code] = j
	}
	rank := func(key string) int {
		if r, ok := order[key]; ok {
			return r
		}
		return 1 << 20
	}
	sort.SliceStable(dims, func(a, b int) bool { return rank("d/"+dims[a].Code) < rank("d/"+dims[b].Code) })
	sort.SliceStable(ms, func(a, b int) bool { return rank("m/"+ms[a].Code) < rank("m/"+ms[b].Code) })
	sort.SliceStable(forms, func(a, b int) bool { return rank("f/"+forms[a].Code) < rank("f/"+forms[b].Code) })
	sort.SliceStable(inds, func(a, b int) bool {
		ra, rb := rank(inds[a].Code), rank(inds[b].Code)
		if ra != rb {
			return ra < rb
		}
		return inds[a].Code < inds[b].Code
	})
	return build(dims, ms, inds, forms)
}

// DefVersion is one stored version of a definition.
type DefVersion struct {
	Version   int             `json:"version"`
	Body      json.RawMessage `json:"definition"`
	ValidFrom int64           `json:"valid_from"`
	ValidTo   int64           `json:"valid_to,omitempty"`
	ByName    string          `json:"changed_by"`
	Note      string          `json:"note,omitempty"`
}

func readVersions(ctx context.Context, q store.Queryer, kind, code string) ([]DefVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, body, valid_from, valid_to, changed_by_name, note
		FROM indicator_defs WHERE kind = $1 AND code = $2 ORDER BY version`, kind, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DefVersion
	for rows.Next() {
		var v DefVersion
		var body string
		if err := rows.Scan(&v.Version, &body, &v.ValidFrom, &v.ValidTo, &v.ByName, &v.Note); err != nil {
			return nil, err
		}
		v.Body = json.RawMessage(body)
		out = append(out, v)
	}
	return out, rows.Err()
}

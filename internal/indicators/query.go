package indicators

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"treem/internal/errs"
	"treem/internal/geo"
)

// Request asks for indicators, in DHIS2's analytics terms: data (dx),
// periods (pe), organisation units (ou) and an optional disaggregation.
type Request struct {
	Indicators []string // indicator codes
	Periods    []Period
	Units      []string // commune code, province code, "VN", "LEVEL-province", "LEVEL-commune"
	Disagg     string   // "", or a dimension: sex, age, group, form, channel, type, class
	Scope      string   // the caller's unit: "" national, a province or a commune
	Lang       string
}

// ParseUnits splits the API's ou parameter.
func ParseUnits(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ";") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Row is one figure: an indicator for a period, a unit and (with a
// disaggregation) one value of it. Value is nil when the denominator is 0
// or there is no data for a ratio.
type Row struct {
	Indicator   string   `json:"dx"`
	Period      string   `json:"pe"`
	Unit        string   `json:"ou"`
	Dim         string   `json:"dim,omitempty"` // the disaggregation value, "" for the total
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Value       *float64 `json:"value"`
}

// Note explains a figure that includes data of an old unit that was split
// in the 2025 reform: all of it is counted in one successor.
type Note struct {
	Unit       string   `json:"ou"`
	Year       int      `json:"year"`
	Old        string   `json:"old_unit"`
	OldName    string   `json:"old_name"`
	Successors []string `json:"successors"`
	Facts      int64    `json:"facts"`
	Text       string   `json:"text"`
}

// Answer is the result of a Request.
type Answer struct {
	Indicators []*Indicator
	Periods    []Period
	Units      []geo.Unit // VN is Unit{Code: "VN"}
	Disagg     string
	DimValues  []string // the disaggregation's values, "" (total) first
	Rows       []Row
	Notes      []Note
	Live       bool
	AsOf       time.Time
	cat        *Catalogue
}

// Catalogue is the catalogue the answer was computed with.
func (a *Answer) Catalogue() *Catalogue { return a.cat }

// Find returns the row for an indicator, period, unit and dimension value.
func (a *Answer) Find(ind, pe, ou, dim string) (Row, bool) {
	for _, r := range a.Rows {
		if r.Indicator == ind && r.Period == pe && r.Unit == ou && r.Dim == dim {
			return r, true
		}
	}
	return Row{}, false
}

// Nation is the code of the whole country in requests and answers.
const Nation = "VN"

// NationUnit is the country as a unit.
func NationUnit(lang string) geo.Unit {
	name := "Toàn quốc"
	if lang == "en" {
		name = "Viet Nam"
	}
	return geo.Unit{Code: Nation, Name: name, NameEn: "Viet Nam", FullName: name, FullNameEn: "Viet Nam", Level: "nation"}
}

// Query computes the figures asked for. Every problem with the request is
// reported at once.
func (e *Engine) Query(ctx context.Context, req Request) (*Answer, error) {
	st := e.current()
	if !st.live && !st.restored {
		// Nothing to answer from yet: load now (a restored snapshot answers
		// while the load runs in the background).
		if err := e.ensureLive(ctx); err != nil {
			return nil, err
		}
		st = e.current()
	}
	cat := st.cat
	v := errs.Validation()
	var inds []*Indicator
	for _, code := range req.Indicators {
		i, ok := cat.Indicator(code)
		if !ok {
			v.Field("dx", "indicators.unknown_indicator", "code", code)
			continue
		}
		inds = append(inds, i)
	}
	if len(req.Indicators) == 0 {
		v.Field("dx", "indicators.dx_missing")
	}
	if len(req.Periods) == 0 {
		v.Field("pe", "indicators.period_missing")
	}
	for _, p := range req.Periods {
		if p.Year < st.ax.from || p.Year > st.ax.to {
			v.Field("pe", "indicators.period_range", "period", p.String(), "from", st.ax.from, "to", st.ax.to)
		}
		for _, i := range inds {
			if !i.HasPeriod(p.Type) {
				v.Field("pe", "indicators.period_type", "indicator", i.Code, "type", p.Type.String())
			}
		}
	}
	if req.Disagg != "" {
		if _, ok := cat.Dimension(req.Disagg); !ok {
			v.Field("disagg", "indicators.unknown_dim", "dim", req.Disagg)
		} else {
			for _, i := range inds {
				if !i.HasDim(req.Disagg) {
					v.Field("disagg", "indicators.dim_not_supported", "indicator", i.Code, "dim", req.Disagg)
				}
			}
		}
	}
	units, uerr := e.resolveUnits(req.Units, req.Scope, req.Lang)
	if uerr != nil {
		if ue, ok := uerr.(*errs.Error); ok && ue.Status == 400 {
			for k, f := range ue.Fields {
				v.Field(k, f.Key, flatten(f.Args)...)
			}
		} else {
			return nil, uerr
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	a := &Answer{Indicators: inds, Periods: req.Periods, Units: units, Disagg: req.Disagg, cat: cat}
	a.DimValues = []string{""}
	if req.Disagg != "" {
		a.DimValues = append(a.DimValues, cat.values(req.Disagg)...)
	}
	// Commune figures by month, or broken down, come from the facts.
	needScan := false
	for _, u := range units {
		if u.Level == geo.LevelCommune {
			for _, p := range req.Periods {
				if p.Type == Monthly || req.Disagg != "" {
					needScan = true
				}
			}
		}
	}
	if needScan {
		if err := e.ensureLive(ctx); err != nil {
			return nil, err
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	st = e.st
	a.Live, a.AsOf = st.live, st.asOf
	var scan *scanResult
	if needScan {
		scan = e.scan(st, units, req.Periods)
	}
	for _, ind := range inds {
		for _, p := range req.Periods {
			pi := st.ax.index(p)
			for _, u := range units {
				for _, dv := range a.DimValues {
					num := e.sum(st, scan, ind.Numerator, u, p, pi, req.Disagg, dv)
					row := Row{Indicator: ind.Code, Period: p.String(), Unit: u.Code, Dim: dv, Numerator: num}
					if ind.Ratio() {
						den := e.sum(st, scan, ind.Denominator, u, p, pi, req.Disagg, dv)
						row.Denominator = den
						if den != 0 {
							x := round(float64(num)/float64(den)*ind.Factor, ind.Decimals)
							row.Value = &x
						}
					} else {
						x := round(float64(num)*ind.Factor, ind.Decimals)
						row.Value = &x
					}
					a.Rows = append(a.Rows, row)
				}
			}
		}
	}
	a.Notes = e.notes(st, units, req.Periods, req.Lang)
	return a, nil
}

func flatten(m map[string]any) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}

// sum adds the measures for a unit, period and dimension value. A measure
// without the dimension counts wholly under "unknown".
func (e *Engine) sum(st *state, scan *scanResult, measures []string, u geo.Unit, p Period, pi int, dim, dv string) int64 {
	var total int64
	for _, code := range measures {
		m, ok := st.cat.Measure(code)
		if !ok {
			continue
		}
		mi := slices.Index(st.cat.Measures, m)
		if m.Count == CountUnits {
			if dv != "" && dv != Unknown && dim != "" {
				continue
			}
			total += e.unitCount(u)
			continue
		}
		slot := 0
		if dv != "" {
			pos := m.layout.dimPos(dim)
			switch {
			case pos < 0 && dv == Unknown:
				slot = 0
			case pos < 0:
				continue
			default:
				slot = m.layout.slot(pos, internID(dv))
				if dv == Unknown {
					slot = m.layout.first[pos] + len(m.layout.index[pos])
				}
			}
		}
		switch u.Level {
		case "nation":
			total += st.cube.nationValue(mi, pi, slot)
		case geo.LevelProvince:
			total += st.cube.provValue(mi, e.units.at[u.Code], pi, slot)
		default:
			if scan != nil && (p.Type == Monthly || slot != 0 || dim != "") {
				total += scan.get(mi, e.units.at[u.Code], pi, slot)
			} else {
				total += st.cube.communeValue(mi, e.units.communeIdx(e.units.at[u.Code]), pi)
			}
		}
	}
	return total
}

func (e *Engine) unitCount(u geo.Unit) int64 {
	switch u.Level {
	case "nation":
		return int64(len(e.units.communes))
	case geo.LevelProvince:
		return int64(len(e.units.geo.Communes(u.Code)))
	}
	return 1
}

// resolveUnits turns the ou items into units inside the caller's scope.
func (e *Engine) resolveUnits(items []string, scope, lang string) ([]geo.Unit, error) {
	g := e.units.geo
	if len(items) == 0 {
		return nil, errs.Validation().Field("ou", "indicators.ou_missing")
	}
	var out []geo.Unit
	var parents []string
	var levels []string
	v := errs.Validation()
	for _, it := range items {
		switch {
		case it == Nation:
			parents = append(parents, "")
			if scope != "" {
				return nil, errs.NotFound("unit")
			}
			out = append(out, NationUnit(lang))
		case strings.HasPrefix(it, "LEVEL-"):
			lv := strings.TrimPrefix(it, "LEVEL-")
			if lv != "province" && lv != "commune" {
				v.Field("ou", "indicators.ou_level", "level", it)
				continue
			}
			levels = append(levels, lv)
		default:
			u, ok := g.Get(it)
			if !ok {
				v.Field("ou", "unit.unknown", "code", it)
				continue
			}
			if !g.Covers(scope, u.Code) {
				return nil, errs.NotFound("unit")
			}
			parents = append(parents, u.Code)
			out = append(out, u)
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if len(levels) > 0 {
		// LEVEL-x alone means "within my scope"; with units, within them.
		if len(parents) == 0 {
			parents = []string{scope}
			if scope != "" {
				if u, ok := g.Get(scope); ok && u.Level == geo.LevelCommune && slices.Contains(levels, "province") {
					return nil, errs.NotFound("unit")
				}
			}
		}
		// The items given only name the parents when a level is asked for.
		out = out[:0]
		seen := map[string]bool{}
		for _, lv := range levels {
			for _, parent := range parents {
				var list []geo.Unit
				switch {
				case lv == "province" && parent == "":
					list = g.Provinces()
				case lv == "province":
					if u, ok := g.Get(parent); ok {
						list = []geo.Unit{{Code: u.Province}}
						list[0], _ = g.Get(u.Province)
					}
				case parent == "":
					list = g.Communes("")
				default:
					if u, ok := g.Get(parent); ok && u.Level == geo.LevelCommune {
						list = []geo.Unit{u}
					} else {
						list = g.Communes(parent)
					}
				}
				for _, u := range list {
					if !seen[u.Code] && g.Covers(scope, u.Code) {
						seen[u.Code] = true
						out = append(out, u)
					}
				}
			}
		}
	}
	return out, nil
}

// scanResult holds figures computed from the facts of some communes.
type scanResult struct {
	acc map[[4]int]int64 // measure, unit, period, slot
}

func (s *scanResult) get(mi, unit, period, slot int) int64 {
	return s.acc[[4]int{mi, unit, period, slot}]
}

type scanSink struct {
	want    map[int]bool
	periods map[int]bool
	acc     map[[4]int]int64
}

func (s scanSink) add(mi, unit, period, slot int, v int64) {
	if s.want[unit] && s.periods[period] {
		s.acc[[4]int{mi, unit, period, slot}] += v
	}
}

// scan computes the communes' figures from their facts. It runs under the
// read lock.
func (e *Engine) scan(st *state, us []geo.Unit, ps []Period) *scanResult {
	sk := scanSink{want: map[int]bool{}, periods: map[int]bool{}, acc: map[[4]int]int64{}}
	var communes []int
	for _, u := range us {
		if u.Level == geo.LevelCommune {
			n := e.units.at[u.Code]
			sk.want[n] = true
			communes = append(communes, e.units.communeIdx(n))
		}
	}
	for _, p := range ps {
		if i := st.ax.index(p); i >= 0 {
			sk.periods[i] = true
		}
	}
	var dec []fact
	for name, es := range st.ents {
		c := newCalc(st.cat, st.ax, name)
		seen := map[int64]bool{}
		for _, ci := range communes {
			for _, key := range es.byCommune[ci] {
				if seen[key] {
					continue
				}
				seen[key] = true
				enc := es.get(key)
				if enc == nil {
					continue
				}
				var err error
				dec, err = decodeEntity(enc, dec)
				if err != nil {
					continue
				}
				c.contribute(dec, sk)
			}
		}
	}
	return &scanResult{acc: sk.acc}
}

// notes lists the split old units whose data the figures include.
func (e *Engine) notes(st *state, us []geo.Unit, ps []Period, lang string) []Note {
	if len(st.splits) == 0 {
		return nil
	}
	g := e.units.geo
	years := map[int]bool{}
	for _, p := range ps {
		years[p.Year] = true
	}
	// Group the split facts of the periods' years by their successor.
	byUnit := map[int][]splitKey{}
	for k, n := range st.splits {
		if n > 0 && years[k.year] {
			byUnit[k.unit] = append(byUnit[k.unit], k)
		}
	}
	if len(byUnit) == 0 {
		return nil
	}
	agg := map[[3]string]int64{}
	yearOf := map[[3]string]int{}
	add := func(ou string, ks []splitKey) {
		for _, k := range ks {
			key := [3]string{ou, internName(k.old), e.units.code(k.unit)}
			agg[key] += st.splits[k]
			yearOf[key] = k.year
		}
	}
	for _, u := range us {
		switch u.Level {
		case "nation":
			for _, ks := range byUnit {
				add(u.Code, ks)
			}
		case geo.LevelProvince:
			for n, ks := range byUnit {
				if e.units.provinceNumber(n) == e.units.at[u.Code] {
					add(u.Code, ks)
				}
			}
		default:
			add(u.Code, byUnit[e.units.at[u.Code]])
		}
	}
	out := make([]Note, 0, len(agg))
	for k, n := range agg {
		name, _ := g.OldName(k[1])
		succ, _ := g.ResolveOld(k[1])
		codes := make([]string, 0, len(succ))
		for _, s := range succ {
			codes = append(codes, s.Code)
		}
		note := Note{Unit: k[0], Old: k[1], OldName: name, Successors: codes, Facts: n, Year: yearOf[k]}
		tu, _ := g.Get(k[2])
		if lang == "en" {
			note.Text = "Includes data of " + name + " (" + k[1] + "), split in 2025 between " + strings.Join(codes, ", ") +
				": all of it is counted in " + tu.FullNameEn + " (" + k[2] + ")."
		} else {
			note.Text = "Gồm số liệu của " + name + " (" + k[1] + "), năm 2025 được chia cho " + strings.Join(codes, ", ") +
				": toàn bộ được tính vào " + tu.FullName + " (" + k[2] + ")."
		}
		out = append(out, note)
	}
	slices.SortFunc(out, func(a, b Note) int {
		return strings.Compare(a.Unit+a.Old, b.Unit+b.Old)
	})
	return out
}

package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"treem/internal/auth"
	"treem/internal/charts"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/i18n"
	"treem/internal/indicators"
	"treem/internal/maps"
)

// figure is one indicator's value for the dashboard.
type figure struct {
	Code     string
	Name     string
	Def      string
	Value    string
	Previous string
	Change   string
	Up       bool
	Records  string // link to the records behind it, "" when not allowed
	Selected bool
}

type rankRow struct {
	Rank  int
	Code  string
	Name  string
	Value string
	Raw   float64
	Href  string
	Has   bool
}

type chartView struct {
	SVG     template.HTML
	Caption string
	Columns []string
	Rows    [][]string
}

type dashboard struct {
	Unit       geo.Unit
	Level      string
	Year       int
	Years      []int
	Trend      string
	Indicator  *indicators.Indicator
	Indicators []*indicators.Indicator
	Headline   []figure
	Ranking    []rankRow
	RankTitle  string
	Map        template.HTML
	MapTable   []rankRow
	TrendChart chartView
	Breakdown  chartView
	Crumbs     []crumb
	Notes      []indicators.Note
	Live       bool
	AsOf       string
	Exports    map[string]string
	National   bool
	Unknown    string // figure with no known place (national contacts)
}

type crumb struct {
	Name, Href string
}

// formatValue writes a figure as people read it.
func formatValue(ind *indicators.Indicator, v *float64, lang string) string {
	if v == nil {
		return "–"
	}
	switch {
	case ind.Unit == "percent":
		return i18n.Decimal(*v, ind.Decimals) + "%"
	case ind.Unit == "vnd":
		return i18n.VND(int64(*v))
	case ind.Decimals > 0:
		return i18n.Decimal(*v, ind.Decimals)
	}
	return i18n.Number(int64(*v))
}

// recordsLink fills an indicator's link to its records, for users allowed
// to read them.
func recordsLink(ind *indicators.Indicator, p *auth.Principal, u geo.Unit, pe indicators.Period) string {
	if ind.Records == "" {
		return ""
	}
	need := map[string]auth.Perm{"/children": auth.PermChildRead, "/cases": auth.PermCaseRead, "/hotline": auth.PermContactRead}
	for prefix, perm := range need {
		if strings.HasPrefix(ind.Records, prefix) && !p.Can(perm) {
			return ""
		}
	}
	commune, province := "", ""
	switch u.Level {
	case geo.LevelCommune:
		commune, province = u.Code, u.Province
	case geo.LevelProvince:
		province = u.Code
	}
	r := strings.NewReplacer("{unit}", url.QueryEscape(commune), "{province}", url.QueryEscape(province), "{period}", pe.String())
	return r.Replace(ind.Records)
}

func (s *Server) dashboardPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		l := s.localizer(r)
		lang := l.Lang
		q := r.URL.Query()
		cat := s.Indicators.Catalogue()
		status := s.Indicators.Status()
		d := dashboard{Trend: q.Get("trend"), National: p.National(), Live: status.Live}
		if d.Trend != "quarter" && d.Trend != "month" {
			d.Trend = "year"
		}
		d.Year = indicators.Period{Year: s.Now().Year()}.Year
		if y, err := strconv.Atoi(q.Get("year")); err == nil {
			d.Year = y
		}
		if d.Year < status.FromYear || d.Year > status.ToYear {
			s.fail(w, r, errs.Validation().Field("year", "indicators.period_range", "period", strconv.Itoa(d.Year), "from", status.FromYear, "to", status.ToYear))
			return
		}
		for y := min(s.Now().Year(), status.ToYear); y >= status.FromYear; y-- {
			d.Years = append(d.Years, y)
		}
		ou := q.Get("ou")
		if ou == "" {
			ou = p.Unit
		}
		if ou == "" || ou == indicators.Nation {
			d.Unit, d.Level = indicators.NationUnit(lang), "nation"
		} else {
			u, ok := s.Units.Get(ou)
			if !ok || !p.Sees(u.Code) {
				s.notFound(w, r, "unit", ou)
				return
			}
			d.Unit, d.Level = u, string(u.Level)
		}
		ind, ok := cat.Indicator(q.Get("ind"))
		if !ok {
			ind, _ = cat.Indicator("csc_helped_pct")
		}
		d.Indicator = ind
		for _, i := range cat.Indicators {
			if i.HasPeriod(indicators.Yearly) {
				d.Indicators = append(d.Indicators, i)
			}
		}
		// Breadcrumbs: nation → province → commune, as far as the user sees.
		if p.National() {
			d.Crumbs = append(d.Crumbs, crumb{indicators.NationUnit(lang).Name, s.dashHref(r, indicators.Nation, "")})
		}
		if d.Level != "nation" {
			prov, _ := s.Units.Get(d.Unit.Province)
			if p.SeesProvince(prov.Code) && (p.Scope().Commune == "") {
				d.Crumbs = append(d.Crumbs, crumb{unitLabel(prov, lang), s.dashHref(r, prov.Code, "")})
			}
			if d.Level == "commune" {
				d.Crumbs = append(d.Crumbs, crumb{unitLabel(d.Unit, lang), ""})
			}
		}
		year := indicators.Period{Type: indicators.Yearly, Year: d.Year}
		// Headline figures beside last year's.
		var heads []string
		for _, i := range cat.Indicators {
			if i.Headline && i.HasPeriod(indicators.Yearly) {
				heads = append(heads, i.Code)
			}
		}
		a, err := s.Indicators.Query(r.Context(), indicators.Request{Indicators: heads, Periods: []indicators.Period{year, year.LastYear()},
			Units: []string{d.Unit.Code}, Scope: p.Unit, Lang: lang})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.AsOf = i18n.DateTime(a.AsOf)
		d.Notes = a.Notes
		for _, code := range heads {
			i, _ := cat.Indicator(code)
			cur, _ := a.Find(code, year.String(), d.Unit.Code, "")
			prev, _ := a.Find(code, year.LastYear().String(), d.Unit.Code, "")
			f := figure{Code: code, Name: i.Name(lang), Def: i.Definition(lang), Value: formatValue(i, cur.Value, lang),
				Previous: formatValue(i, prev.Value, lang), Records: recordsLink(i, p, d.Unit, year), Selected: code == ind.Code}
			if cur.Value != nil && prev.Value != nil {
				diff := *cur.Value - *prev.Value
				f.Up = diff >= 0
				sign := "+"
				if diff < 0 {
					sign = "−"
					diff = -diff
				}
				f.Change = sign + formatValue(i, &diff, lang)
			}
			d.Headline = append(d.Headline, f)
		}
		if err := s.dashTrend(r, &d, ind, p, lang); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.dashRanking(r, &d, ind, year, p, lang); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.dashBreakdown(r, &d, ind, year, p, lang); err != nil {
			s.fail(w, r, err)
			return
		}
		exp := url.Values{"dx": {ind.Code}, "pe": {year.String()}, "ou": {d.Unit.Code}}
		lv := url.Values{"dx": {ind.Code}, "pe": {year.String()}}
		switch d.Level {
		case "nation":
			lv.Set("ou", "LEVEL-province")
		case "province":
			lv.Set("ou", d.Unit.Code+";LEVEL-commune")
		default:
			lv.Set("ou", d.Unit.Code)
		}
		d.Exports = map[string]string{
			"csv":  "/api/v1/indicators/export?format=csv&" + lv.Encode(),
			"xlsx": "/api/v1/indicators/export?format=xlsx&" + lv.Encode(),
			"json": "/api/v1/indicators?" + exp.Encode(),
		}
		if p.National() {
			d.Exports["report_xlsx"] = "/api/v1/indicators/report?format=xlsx&year=" + strconv.Itoa(d.Year)
			d.Exports["report_pdf"] = "/api/v1/indicators/report?format=pdf&year=" + strconv.Itoa(d.Year)
		}
		s.render(w, r, http.StatusOK, "indicators", "indicators.title", d, nil)
	})
}

func unitLabel(u geo.Unit, lang string) string {
	if lang == "en" && u.FullNameEn != "" {
		return u.FullNameEn
	}
	return u.FullName
}

func (s *Server) dashHref(r *http.Request, ou, ind string) string {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		q[k] = v
	}
	q.Set("ou", ou)
	if ind != "" {
		q.Set("ind", ind)
	}
	return "/indicators?" + q.Encode()
}

// dashTrend draws the selected indicator over ten years, or by quarter or
// month for this year beside last year.
func (s *Server) dashTrend(r *http.Request, d *dashboard, ind *indicators.Indicator, p *auth.Principal, lang string) error {
	l := s.localizer(r)
	status := s.Indicators.Status()
	var series [][]indicators.Period
	var names []string
	switch {
	case d.Trend == "year" || !ind.HasPeriod(indicators.Quarterly):
		var ps []indicators.Period
		for y := max(d.Year-9, status.FromYear); y <= d.Year; y++ {
			ps = append(ps, indicators.Period{Type: indicators.Yearly, Year: y})
		}
		series, names = [][]indicators.Period{ps}, []string{ind.Name(lang)}
		d.Trend = "year"
	default:
		t := indicators.Quarterly
		if d.Trend == "month" && ind.HasPeriod(indicators.Monthly) {
			t = indicators.Monthly
		} else {
			d.Trend = "quarter"
		}
		for _, y := range []int{d.Year - 1, d.Year} {
			if y >= status.FromYear {
				series = append(series, indicators.PeriodsOf(t, y, y))
				names = append(names, strconv.Itoa(y))
			}
		}
	}
	var all []indicators.Period
	for _, ps := range series {
		all = append(all, ps...)
	}
	a, err := s.Indicators.Query(r.Context(), indicators.Request{Indicators: []string{ind.Code}, Periods: all, Units: []string{d.Unit.Code}, Scope: p.Unit, Lang: lang})
	if err != nil {
		return err
	}
	c := charts.Chart{Title: l.T("indicators.trend_title", "name", ind.Name(lang), "unit", unitLabel(d.Unit, lang)),
		Format: func(v float64) string { return formatValue(ind, &v, lang) }}
	cv := chartView{Columns: []string{l.T("indicators.col_pe")}}
	for si, ps := range series {
		sr := charts.Series{Name: names[si]}
		cv.Columns = append(cv.Columns, names[si])
		for pi, pe := range ps {
			row, _ := a.Find(ind.Code, pe.String(), d.Unit.Code, "")
			label := pe.Label(lang)
			if len(series) > 1 {
				label = strings.TrimSuffix(strings.TrimSuffix(label, "/"+strconv.Itoa(pe.Year)), " "+strconv.Itoa(pe.Year))
			}
			pt := charts.Point{Label: label, Missing: row.Value == nil}
			if row.Value != nil {
				pt.Value = *row.Value
			}
			sr.Points = append(sr.Points, pt)
			if si == 0 {
				cv.Rows = append(cv.Rows, []string{label})
			}
			if pi < len(cv.Rows) {
				cv.Rows[pi] = append(cv.Rows[pi], formatValue(ind, row.Value, lang))
			}
		}
		c.Series = append(c.Series, sr)
	}
	var svg string
	if d.Trend == "year" {
		svg, err = charts.Line(c)
	} else {
		svg, err = charts.Bar(c)
	}
	if err != nil {
		return err
	}
	cv.SVG, cv.Caption = template.HTML(svg), c.Title
	d.TrendChart = cv
	return nil
}

// dashRanking ranks the provinces (national view) or the communes of a
// province, and draws the province map.
func (s *Server) dashRanking(r *http.Request, d *dashboard, ind *indicators.Indicator, year indicators.Period, p *auth.Principal, lang string) error {
	l := s.localizer(r)
	var ou []string
	switch d.Level {
	case "nation":
		ou = []string{"LEVEL-province"}
		d.RankTitle = l.T("indicators.rank_provinces")
	case "province":
		ou = []string{d.Unit.Code, "LEVEL-commune"}
		d.RankTitle = l.T("indicators.rank_communes")
	}
	if len(ou) > 0 {
		a, err := s.Indicators.Query(r.Context(), indicators.Request{Indicators: []string{ind.Code}, Periods: []indicators.Period{year}, Units: ou, Scope: p.Unit, Lang: lang})
		if err != nil {
			return err
		}
		for _, u := range a.Units {
			row, _ := a.Find(ind.Code, year.String(), u.Code, "")
			rr := rankRow{Code: u.Code, Name: unitLabel(u, lang), Value: formatValue(ind, row.Value, lang), Has: row.Value != nil, Href: s.dashHref(r, u.Code, "")}
			if row.Value != nil {
				rr.Raw = *row.Value
			}
			d.Ranking = append(d.Ranking, rr)
		}
		sort.SliceStable(d.Ranking, func(i, j int) bool {
			a, b := d.Ranking[i], d.Ranking[j]
			if a.Has != b.Has {
				return a.Has
			}
			if ind.HigherIsBetter {
				return a.Raw > b.Raw
			}
			return a.Raw > b.Raw
		})
		for i := range d.Ranking {
			d.Ranking[i].Rank = i + 1
		}
	}
	// The map of the 34 provinces: every province for national users,
	// the user's own otherwise.
	var provRows []rankRow
	if d.Level == "nation" {
		provRows = d.Ranking
	} else if p.National() || p.Scope().Commune == "" {
		prov := d.Unit.Province
		a, err := s.Indicators.Query(r.Context(), indicators.Request{Indicators: []string{ind.Code}, Periods: []indicators.Period{year},
			Units: []string{prov}, Scope: p.Unit, Lang: lang})
		if err != nil {
			return err
		}
		for _, u := range a.Units {
			row, _ := a.Find(ind.Code, year.String(), u.Code, "")
			rr := rankRow{Code: u.Code, Name: unitLabel(u, lang), Value: formatValue(ind, row.Value, lang), Has: row.Value != nil, Href: s.dashHref(r, u.Code, "")}
			if row.Value != nil {
				rr.Raw = *row.Value
			}
			provRows = append(provRows, rr)
		}
	}
	var values []maps.Value
	names := map[string]string{}
	for _, pr := range s.Units.Provinces() {
		names[pr.Code] = unitLabel(pr, lang)
	}
	for _, rr := range provRows {
		if rr.Has {
			values = append(values, maps.Value{Code: rr.Code, Value: rr.Raw, Label: rr.Value, Href: rr.Href})
		}
	}
	var buf bytes.Buffer
	highlight := ""
	if d.Level != "nation" {
		highlight = d.Unit.Province
	}
	err := maps.Render(&buf, maps.Options{Title: l.T("indicators.map_title", "name", ind.Name(lang), "year", year.Year),
		Values: values, HigherIsBetter: ind.HigherIsBetter, NoData: l.T("indicators.no_data"), Names: names,
		IslandLabels: [2]string{l.T("indicators.hoang_sa"), l.T("indicators.truong_sa")}, Highlight: highlight})
	if err != nil {
		return err
	}
	d.Map = template.HTML(buf.String())
	d.MapTable = provRows
	slices.SortFunc(d.MapTable, func(a, b rankRow) int { return strings.Compare(a.Code, b.Code) })
	return nil
}

// dashBreakdown shows the selected indicator by its first disaggregation.
func (s *Server) dashBreakdown(r *http.Request, d *dashboard, ind *indicators.Indicator, year indicators.Period, p *auth.Principal, lang string) error {
	if len(ind.Dims) == 0 {
		return nil
	}
	l := s.localizer(r)
	dim := ind.Dims[0]
	if q := r.URL.Query().Get("disagg"); slices.Contains(ind.Dims, q) {
		dim = q
	}
	a, err := s.Indicators.Query(r.Context(), indicators.Request{Indicators: []string{ind.Code}, Periods: []indicators.Period{year},
		Units: []string{d.Unit.Code}, Disagg: dim, Scope: p.Unit, Lang: lang})
	if err != nil {
		return err
	}
	cat := a.Catalogue()
	sr := charts.Series{Name: strconv.Itoa(year.Year)}
	cv := chartView{Columns: []string{cat.DimName(dim, lang), l.T("indicators.col_value")}}
	for _, dv := range a.DimValues[1:] {
		row, _ := a.Find(ind.Code, year.String(), d.Unit.Code, dv)
		pt := charts.Point{Label: cat.DimLabel(dim, dv, lang), Missing: row.Value == nil}
		if row.Value != nil {
			pt.Value = *row.Value
		}
		sr.Points = append(sr.Points, pt)
		cv.Rows = append(cv.Rows, []string{pt.Label, formatValue(ind, row.Value, lang)})
	}
	total, _ := a.Find(ind.Code, year.String(), d.Unit.Code, "")
	cv.Rows = append(cv.Rows, []string{cat.DimLabel(dim, "", lang), formatValue(ind, total.Value, lang)})
	c := charts.Chart{Title: l.T("indicators.breakdown_title", "name", ind.Name(lang), "dim", cat.DimName(dim, lang)),
		Series: []charts.Series{sr}, Height: 240, Format: func(v float64) string { return formatValue(ind, &v, lang) }}
	svg, err := charts.Bar(c)
	if err != nil {
		return err
	}
	cv.SVG, cv.Caption = template.HTML(svg), c.Title
	d.Breakdown = cv
	return nil
}

func (s *Server) cataloguePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cat := s.Indicators.Catalogue()
		s.render(w, r, http.StatusOK, "indicators_catalogue", "indicators.catalogue_title", map[string]any{
			"Indicators": cat.Indicators, "Dimensions": cat.Dimensions, "Cat": cat, "Lang": s.localizer(r).Lang}, nil)
	})
}

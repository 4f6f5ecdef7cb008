package indicators

import (
	"context"
	"fmt"
	"slices"
	"time"

	"treem/internal/indicators/facts"
)

// Mismatch is a figure the engine and plain SQL disagree on.
type Mismatch struct {
	Measure string `json:"measure"`
	Period  string `json:"pe"`
	Unit    string `json:"ou"` // commune, province, "" unknown place, VN
	Engine  int64  `json:"engine"`
	SQL     int64  `json:"sql"`
}

// Verification is the verifier's report.
type Verification struct {
	Measures   []string      `json:"measures"`
	Compared   int           `json:"compared"`
	Mismatches []Mismatch    `json:"mismatches"`
	SQLTime    time.Duration `json:"sql_ns"`
	EngineTime time.Duration `json:"engine_ns"`
}

// OK reports whether everything agreed.
func (v Verification) OK() bool { return len(v.Mismatches) == 0 }

// Verify recomputes every measure that has a plain SQL twin for each
// period, with GROUP BY over the areas' own tables, and compares the
// totals exactly for every commune (years and quarters), every province
// and the nation. Old unit codes in the SQL answer are mapped to today's
// units by the same documented rule as the engine's.
func (e *Engine) Verify(ctx context.Context, periods []Period) (Verification, error) {
	if err := e.ensureLive(ctx); err != nil {
		return Verification{}, err
	}
	if _, err := e.Poll(ctx); err != nil {
		return Verification{}, err
	}
	var rep Verification
	cat := e.Catalogue()
	for mi, m := range cat.Measures {
		if m.Count == CountUnits {
			continue
		}
		src, ok := e.sources[m.Source]
		if !ok {
			continue
		}
		ck, ok := src.(facts.Checker)
		if !ok {
			continue
		}
		q, ok := ck.CheckSQL(m.Code)
		if !ok {
			continue
		}
		rep.Measures = append(rep.Measures, m.Code)
		for _, p := range periods {
			t0 := time.Now()
			rows, err := e.db.Read().QueryContext(ctx, q, p.Start(), p.End())
			if err != nil {
				return rep, fmt.Errorf("verify %s: %w", m.Code, err)
			}
			byUnit := map[int]int64{}
			for rows.Next() {
				var code string
				var old bool
				var v int64
				if err := rows.Scan(&code, &old, &v); err != nil {
					rows.Close()
					return rep, err
				}
				n, _, _ := e.units.resolve(code, old)
				byUnit[n] += v
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return rep, err
			}
			rep.SQLTime += time.Since(t0)
			// Roll the SQL answer up the same way: communes into provinces,
			// provinces into the nation.
			sqlProv := map[int]int64{}
			var sqlNation int64
			for n, v := range byUnit {
				sqlProv[e.units.provinceNumber(n)] += v
				sqlNation += v
			}
			t1 := time.Now()
			e.mu.RLock()
			st := e.st
			pi := st.ax.index(p)
			cmp := func(unit string, engine, sql int64) {
				rep.Compared++
				if engine != sql && len(rep.Mismatches) < 50 {
					rep.Mismatches = append(rep.Mismatches, Mismatch{Measure: m.Code, Period: p.String(), Unit: unit, Engine: engine, SQL: sql})
				}
			}
			if pi >= 0 {
				cmp(Nation, st.cube.nationValue(mi, pi, 0), sqlNation)
				for prov := 0; prov <= e.units.nProv(); prov++ {
					cmp(e.units.code(prov), st.cube.provValue(mi, prov, pi, 0), sqlProv[prov])
				}
				if p.Type != Monthly {
					for ci := range e.units.communes {
						n := e.units.communeNumber(ci)
						cmp(e.units.code(n), st.cube.communeValue(mi, ci, pi), byUnit[n])
					}
				}
			} else {
				rep.Mismatches = append(rep.Mismatches, Mismatch{Measure: m.Code, Period: p.String(), Unit: "period outside the roll-ups"})
			}
			e.mu.RUnlock()
			rep.EngineTime += time.Since(t1)
		}
	}
	slices.Sort(rep.Measures)
	return rep, nil
}

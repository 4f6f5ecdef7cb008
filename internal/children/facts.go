package children

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// FactSourceName is the registry's name in the indicators' change feed.
const FactSourceName = "children"

// FactSource describes the registry's children to the indicators (package
// facts): a child that is not merged into another counts
//
//   - one csc fact per special-circumstance group period (attr group), a
//     span from its start to its end (open while the child is still in
//     the group);
//   - one helped fact per month with a delivered support (planned and
//     cancelled ones do not count), dated on the last such support of the
//     month, valued with their number;
//
// in its current commune, with its sex and date of birth. A partial date
// of a group period is taken as its earliest day when it starts the
// period and its latest when it ends it (2020 → 1 January 2020 as a
// start, 31 December 2020 as an end; a month's end is its 31st, which
// compares the same as its last day). Every change to a child, its groups
// or its supports calls facts.Touch in its transaction.
type FactSource struct{}

// Name is the source's name in the change feed.
func (FactSource) Name() string { return FactSourceName }

// Load streams every child with its facts.
func (f FactSource) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return f.read(ctx, q, nil, each)
}

// Get returns the facts of the children with the given ids; merged or
// unknown ones come back with none.
func (f FactSource) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for len(keys) > 0 {
		n := min(len(keys), 500)
		err := f.read(ctx, q, keys[:n], func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return out, nil
}

// factStart and factEnd read a stored group date as the fact's first and
// last day (see FactSource).
func factStart(n int32) int32 {
	switch {
	case n == 0:
		return 0
	case n%10000 == 0:
		return n + 101
	case n%100 == 0:
		return n + 1
	}
	return n
}

func factEnd(n int32) int32 {
	switch {
	case n == 0:
		return facts.Open
	case n%10000 == 0:
		return n + 1231
	case n%100 == 0:
		return n + 31
	}
	return n
}

// idList is "IN ($1, …)" for ids, or "" for every row.
func idList(col string, ids []int64) (string, []any) {
	if ids == nil {
		return "", nil
	}
	var b strings.Builder
	args := make([]any, len(ids))
	b.WriteString(" AND " + col + " IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	b.WriteString(")")
	return b.String(), args
}

// read streams children (all, or those named) with their groups and
// helped months: three queries ordered by child, merged.
func (FactSource) read(ctx context.Context, q store.Queryer, ids []int64, each func(facts.Entity) error) error {
	kw, a := idList("id", ids)
	cw, _ := idList("child_id", ids)
	kids, err := q.QueryContext(ctx, `SELECT id, commune_code, sex, dob_on FROM children WHERE merged_into IS NULL`+kw+` ORDER BY id`, a...)
	if err != nil {
		return err
	}
	defer kids.Close()
	groups, err := q.QueryContext(ctx, `SELECT child_id, code, start_on, end_on FROM child_groups WHERE TRUE`+cw+` ORDER BY child_id`, a...)
	if err != nil {
		return err
	}
	defer groups.Close()
	helped, err := q.QueryContext(ctx, `SELECT child_id, MAX(given_on), COUNT(*) FROM supports WHERE status = 'delivered'`+cw+`
		GROUP BY child_id, given_on / 100 ORDER BY child_id`, a...)
	if err != nil {
		return err
	}
	defer helped.Close()
	var g struct {
		child      int64
		code       string
		start, end int32
	}
	var h struct {
		child int64
		last  int32
		n     int64
	}
	nextG := func() (bool, error) {
		if !groups.Next() {
			return false, groups.Err()
		}
		return true, groups.Scan(&g.child, &g.code, &g.start, &g.end)
	}
	nextH := func() (bool, error) {
		if !helped.Next() {
			return false, helped.Err()
		}
		return true, helped.Scan(&h.child, &h.last, &h.n)
	}
	gOK, err := nextG()
	if err != nil {
		return err
	}
	hOK, err := nextH()
	if err != nil {
		return err
	}
	var fs []facts.Fact
	for kids.Next() {
		var id int64
		var commune, sex string
		var dob int32
		if err := kids.Scan(&id, &commune, &sex, &dob); err != nil {
			return err
		}
		fs = fs[:0]
		for gOK && g.child <= id {
			if g.child == id {
				fs = append(fs, facts.Fact{Kind: "csc", Unit: commune, On: factStart(g.start), Until: factEnd(g.end), Value: 1,
					Sex: sex, Born: dob, Attrs: []facts.Attr{{Dim: "group", Value: g.code}}})
			}
			if gOK, err = nextG(); err != nil {
				return err
			}
		}
		for hOK && h.child <= id {
			if h.child == id {
				fs = append(fs, facts.Fact{Kind: "helped", Unit: commune, On: h.last, Until: h.last, Value: h.n, Sex: sex, Born: dob})
			}
			if hOK, err = nextH(); err != nil {
				return err
			}
		}
		if err := each(facts.Entity{Key: id, Facts: fs}); err != nil {
			return err
		}
	}
	return kids.Err()
}

// The verifier's plain SQL: the group dates read as FactSource reads them.
const (
	sqlGroupStart = `(CASE WHEN g.start_on = 0 THEN 0 WHEN g.start_on % 10000 = 0 THEN g.start_on + 101
		WHEN g.start_on % 100 = 0 THEN g.start_on + 1 ELSE g.start_on END)`
	sqlGroupEnd = `(CASE WHEN g.end_on = 0 THEN 99991231 WHEN g.end_on % 10000 = 0 THEN g.end_on + 1231
		WHEN g.end_on % 100 = 0 THEN g.end_on + 31 ELSE g.end_on END)`
	sqlInGroup = sqlGroupStart + ` <= $2 AND ` + sqlGroupEnd + ` >= $1`
)

// CheckSQL is the plain SQL of each measure the registry counts, for the
// indicators' verifier.
func (FactSource) CheckSQL(measure string) (string, bool) {
	switch measure {
	case "m_csc":
		return `SELECT c.commune_code, FALSE, COUNT(DISTINCT c.id) FROM children c
			JOIN child_groups g ON g.child_id = c.id
			WHERE c.merged_into IS NULL AND ` + sqlInGroup + `
			GROUP BY c.commune_code`, true
	case "m_csc_helped":
		return `SELECT c.commune_code, FALSE, COUNT(DISTINCT c.id) FROM children c
			JOIN supports s ON s.child_id = c.id
			WHERE c.merged_into IS NULL AND s.status = 'delivered' AND s.given_on BETWEEN $1 AND $2
			  AND EXISTS (SELECT 1 FROM child_groups g WHERE g.child_id = c.id AND ` + sqlInGroup + `)
			GROUP BY c.commune_code`, true
	case "m_supports":
		return `SELECT c.commune_code, FALSE, COUNT(*) FROM children c
			JOIN supports s ON s.child_id = c.id
			WHERE c.merged_into IS NULL AND s.status = 'delivered' AND s.given_on BETWEEN $1 AND $2
			GROUP BY c.commune_code`, true
	}
	return "", false
}

// factsChanged tells the indicators, in tx, that the children's facts may
// have changed.
func factsChanged(ctx context.Context, tx *store.Tx, at int64, ids ...int64) error {
	return facts.TouchMany(ctx, tx, FactSourceName, ids, at)
}

package cases

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// The indicators' view of cases (internal/indicators/facts): the sources
// "cases" (one entity per case) and "abused" (one entity per child of a
// case). Every change to a case touches both in its transaction (touch),
// and Generate touches every case and child it writes.

// FactSources returns the case area's fact sources.
func FactSources() []facts.Source { return []facts.Source{CaseFacts{}, AbusedFacts{}} }

// The conditions of each fact, shared by the source and its check SQL.
// emergency_12h measures against the legal 12 hours (Nghị định 56 Điều
// 31–32, 43,200,000 ms) whatever the deadline rule says.
const (
	condEmergency   = `EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = c.id AND d.what = 'emergency')`
	condEmergency12 = `EXISTS (SELECT 1 FROM case_emergencies e WHERE e.case_id = c.id AND e.decided_at <= c.received_at + 43200000)`
	condPlan        = `EXISTS (SELECT 1 FROM case_plans p WHERE p.case_id = c.id AND p.state IN ('approved', 'superseded'))`
	condPlanOnTime  = condPlan + ` AND NOT EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = c.id
		AND d.what IN ('plan', 'approval') AND d.done_at IS NOT NULL AND d.done_at > d.due_at)`
	firstStep = `(SELECT MIN(s.entered_at) FROM case_steps s WHERE s.case_id = c.id AND s.step <> 'received')`
)

// touch tells the indicators that a case's facts (and its children's) may
// have changed.
func touch(ctx context.Context, tx *store.Tx, caseID int64, children []int64, atMillis int64) error {
	if err := facts.Touch(ctx, tx, "cases", caseID, atMillis); err != nil {
		return err
	}
	for _, ch := range children {
		if err := facts.Touch(ctx, tx, "abused", ch, atMillis); err != nil {
			return err
		}
	}
	return nil
}

func inParams(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
	}
	return b.String()
}

func keyArgs(keys []int64) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

func formAttrs(forms string) []facts.Attr {
	var out []facts.Attr
	for _, f := range splitList(forms) {
		out = append(out, facts.Attr{Dim: "form", Value: f})
	}
	return out
}

// CaseFacts is the "cases" source: a case counts on the day it was
// received, by its forms of abuse; an emergency fact when it needed action
// within 12 hours (an emergency deadline was set), emergency_12h when the
// measure was decided within 12 hours of the report; plan when a plan was
// approved, plan_on_time when no plan or approval deadline was missed;
// first_action the minutes from the report to the first step taken.
type CaseFacts struct{}

func (CaseFacts) Name() string { return "cases" }

func (f CaseFacts) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return f.read(ctx, q, "", nil, each)
}

func (f CaseFacts) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for ks := range slices.Chunk(keys, 500) {
		err := f.read(ctx, q, " WHERE c.id IN ("+inParams(len(ks))+")", keyArgs(ks), func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func b01(cond string) string { return "CASE WHEN " + cond + " THEN 1 ELSE 0 END" }

func (CaseFacts) read(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.commune, c.received_on, c.received_at, c.abuse_forms, `+
		b01(condEmergency)+`, `+b01(condEmergency12)+`, `+b01(condPlan)+`, `+b01(condPlanOnTime)+`, COALESCE(`+firstStep+`, -1)
		FROM cases c`+where+` ORDER BY c.id`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var fs []facts.Fact
	for rows.Next() {
		var id, received, first int64
		var unit, forms string
		var on int32
		var em, em12, plan, onTime int
		if err := rows.Scan(&id, &unit, &on, &received, &forms, &em, &em12, &plan, &onTime, &first); err != nil {
			return err
		}
		base := facts.Fact{Unit: unit, On: on, Until: on, Value: 1, Attrs: formAttrs(forms)}
		fs = fs[:0]
		add := func(kind string, v int64) {
			f := base
			f.Kind, f.Value = kind, v
			fs = append(fs, f)
		}
		add("case", 1)
		if em == 1 {
			add("emergency", 1)
		}
		if em12 == 1 {
			add("emergency_12h", 1)
		}
		if plan == 1 {
			add("plan", 1)
		}
		if onTime == 1 {
			add("plan_on_time", 1)
		}
		if first >= 0 {
			add("first_action", max(0, (first-received)/60000))
		}
		if err := each(facts.Entity{Key: id, Facts: fs}); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CheckSQL is the plain SQL the indicators' verifier compares with.
func (CaseFacts) CheckSQL(measure string) (string, bool) {
	cond := map[string]string{"m_cases": "TRUE", "m_emergency": condEmergency, "m_emergency_12h": condEmergency12,
		"m_plans": condPlan, "m_plans_on_time": condPlanOnTime, "m_first_action_cases": firstStep + " IS NOT NULL"}
	if c, ok := cond[measure]; ok {
		return `SELECT c.commune, FALSE, COUNT(*) FROM cases c WHERE c.received_on BETWEEN $1 AND $2 AND ` + c + `
			GROUP BY c.commune`, true
	}
	if measure == "m_first_action_minutes" {
		return `SELECT c.commune, FALSE, SUM(CASE WHEN ` + firstStep + ` < c.received_at THEN 0 ELSE (` + firstStep + ` - c.received_at) / 60000 END)
			FROM cases c WHERE c.received_on BETWEEN $1 AND $2 AND ` + firstStep + ` IS NOT NULL GROUP BY c.commune`, true
	}
	return "", false
}

// AbusedFacts is the "abused" source: one entity per registry child of a
// case, with one fact per case it is in (the case's commune, the day it
// was received, its forms), with the child's sex and date of birth.
type AbusedFacts struct{}

func (AbusedFacts) Name() string { return "abused" }

func (f AbusedFacts) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return f.read(ctx, q, "", nil, each)
}

func (f AbusedFacts) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for ks := range slices.Chunk(keys, 500) {
		err := f.read(ctx, q, " WHERE cc.child_id IN ("+inParams(len(ks))+")", keyArgs(ks), func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (AbusedFacts) read(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	rows, err := q.QueryContext(ctx, `SELECT cc.child_id, COALESCE(ch.sex, ''), COALESCE(ch.dob_on, 0), c.commune, c.received_on, c.abuse_forms
		FROM case_children cc JOIN cases c ON c.id = cc.case_id LEFT JOIN children ch ON ch.id = cc.child_id`+where+`
		ORDER BY cc.child_id, c.id`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var fs []facts.Fact
	cur := int64(-1)
	for rows.Next() {
		var child int64
		var sex, unit, forms string
		var dob, on int32
		if err := rows.Scan(&child, &sex, &dob, &unit, &on, &forms); err != nil {
			return err
		}
		if child != cur && cur >= 0 {
			if err := each(facts.Entity{Key: cur, Facts: fs}); err != nil {
				return err
			}
			fs = nil
		}
		cur = child
		fs = append(fs, facts.Fact{Kind: "abused", Unit: unit, On: on, Until: on, Value: 1, Sex: sex, Born: dob, Attrs: formAttrs(forms)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if cur >= 0 {
		return each(facts.Entity{Key: cur, Facts: fs})
	}
	return nil
}

// CheckSQL counts each child once per commune of its cases in the period.
func (AbusedFacts) CheckSQL(measure string) (string, bool) {
	if measure != "m_abused" {
		return "", false
	}
	return `SELECT c.commune, FALSE, COUNT(DISTINCT cc.child_id) FROM case_children cc JOIN cases c ON c.id = cc.case_id
		WHERE c.received_on BETWEEN $1 AND $2 GROUP BY c.commune`, true
}

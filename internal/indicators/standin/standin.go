// Package standin is a STAND-IN for the record areas (registry, hotline,
// cases) while they are being written on other branches: small tables of
// its own (created by Install, never by the migrations) holding just what
// the indicators count, sources that read them, the plain SQL the verifier
// compares with, and a generator of national-scale data for the benchmark.
//
// When an area lands on main its real adapter (in the area's own package)
// replaces the stand-in source of the same name. The registry and the
// hotline have (children.FactSource, hotline.FactSource): their stand-ins
// remain only for the engine's own tests. Cases and abused children are
// still counted from here, and only when asked (--indicator-standins).
package standin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// tables are the stand-in's own tables (both engines accept this SQL).
var tables = []string{
	`CREATE TABLE IF NOT EXISTS standin_children (
		id BIGINT PRIMARY KEY,
		commune_code TEXT NOT NULL,
		old_unit BOOLEAN NOT NULL DEFAULT FALSE,
		sex TEXT NOT NULL DEFAULT '',
		dob_on INTEGER NOT NULL DEFAULT 0)`,
	`CREATE TABLE IF NOT EXISTS standin_child_groups (
		child_id BIGINT NOT NULL,
		code TEXT NOT NULL,
		start_on INTEGER NOT NULL,
		end_on INTEGER NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS standin_child_groups_child ON standin_child_groups (child_id)`,
	`CREATE TABLE IF NOT EXISTS standin_supports (
		child_id BIGINT NOT NULL,
		given_on INTEGER NOT NULL,
		status TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS standin_supports_child ON standin_supports (child_id)`,
	`CREATE TABLE IF NOT EXISTS standin_contacts (
		id BIGINT PRIMARY KEY,
		channel TEXT NOT NULL,
		type_code TEXT NOT NULL,
		class TEXT NOT NULL,
		started_on INTEGER NOT NULL,
		unit_code TEXT NOT NULL DEFAULT '',
		old_unit BOOLEAN NOT NULL DEFAULT FALSE,
		referred BOOLEAN NOT NULL DEFAULT FALSE)`,
	`CREATE TABLE IF NOT EXISTS standin_cases (
		id BIGINT PRIMARY KEY,
		commune_code TEXT NOT NULL,
		old_unit BOOLEAN NOT NULL DEFAULT FALSE,
		received_on INTEGER NOT NULL,
		emergency BOOLEAN NOT NULL DEFAULT FALSE,
		emergency_12h BOOLEAN NOT NULL DEFAULT FALSE,
		plan BOOLEAN NOT NULL DEFAULT FALSE,
		plan_on_time BOOLEAN NOT NULL DEFAULT FALSE,
		first_action_minutes INTEGER NOT NULL DEFAULT -1)`,
	`CREATE TABLE IF NOT EXISTS standin_case_forms (
		case_id BIGINT NOT NULL,
		form TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS standin_case_forms_case ON standin_case_forms (case_id)`,
	`CREATE TABLE IF NOT EXISTS standin_case_children (
		case_id BIGINT NOT NULL,
		child_key BIGINT NOT NULL,
		sex TEXT NOT NULL DEFAULT '',
		dob_on INTEGER NOT NULL DEFAULT 0)`,
	`CREATE INDEX IF NOT EXISTS standin_case_children_child ON standin_case_children (child_key)`,
	`CREATE INDEX IF NOT EXISTS standin_case_children_case ON standin_case_children (case_id)`,
}

// Install creates the stand-in tables if they are missing.
func Install(ctx context.Context, db *store.DB) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		for _, q := range tables {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("standin: %w", err)
			}
		}
		return nil
	})
}

// Sources returns the stand-in sources: children, hotline, cases, abused
// (the engine's own tests use them all).
func Sources() []facts.Source {
	return []facts.Source{Children{}, Hotline{}, Cases{}, Abused{}}
}

// Pending returns the stand-ins of the areas that have no real source on
// main yet: cases and abused children. The registry (children.FactSource)
// and the hotline (hotline.FactSource) have replaced theirs.
func Pending() []facts.Source {
	return []facts.Source{Cases{}, Abused{}}
}

// inList writes $1, $2, … for n keys.
func inList(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
	}
	return b.String()
}

func args(keys []int64) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// chunks splits keys for IN lists.
func chunks(keys []int64, n int) [][]int64 {
	var out [][]int64
	for len(keys) > n {
		out = append(out, keys[:n])
		keys = keys[n:]
	}
	if len(keys) > 0 {
		out = append(out, keys)
	}
	return out
}

// ---- children: the registry ----

// Children is the registry stand-in: a child is in special circumstances
// while one of its groups' spans holds (csc facts), and is helped in a
// month with a delivered support (one helped fact per month, dated on the
// last such support, valued with their number).
type Children struct{}

func (Children) Name() string { return "children" }

type child struct {
	id      int64
	commune string
	old     bool
	sex     string
	dob     int32
}

func (c Children) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return c.read(ctx, q, "", nil, each)
}

func (c Children) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for _, ks := range chunks(keys, 500) {
		err := c.read(ctx, q, " WHERE id IN ("+inList(len(ks))+")", args(ks), func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// read streams children (all, or those named) with their groups and helped
// months: three ordered queries merged by child id.
func (Children) read(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	cw := strings.ReplaceAll(where, "id IN", "child_id IN")
	kids, err := q.QueryContext(ctx, `SELECT id, commune_code, old_unit, sex, dob_on FROM standin_children`+where+` ORDER BY id`, a...)
	if err != nil {
		return err
	}
	defer kids.Close()
	groups, err := q.QueryContext(ctx, `SELECT child_id, code, start_on, end_on FROM standin_child_groups`+cw+` ORDER BY child_id`, a...)
	if err != nil {
		return err
	}
	defer groups.Close()
	hw := " WHERE status = 'delivered'"
	if cw != "" {
		hw += " AND " + strings.TrimPrefix(cw, " WHERE ")
	}
	helped, err := q.QueryContext(ctx, `SELECT child_id, given_on / 100, MAX(given_on), COUNT(*) FROM standin_supports`+hw+`
		GROUP BY child_id, given_on / 100 ORDER BY child_id`, a...)
	if err != nil {
		return err
	}
	defer helped.Close()
	type gRow struct {
		child      int64
		code       string
		start, end int32
	}
	type hRow struct {
		child    int64
		ym, last int32
		n        int64
	}
	var g gRow
	var h hRow
	gOK, hOK := groups.Next(), helped.Next()
	if gOK {
		if err := groups.Scan(&g.child, &g.code, &g.start, &g.end); err != nil {
			return err
		}
	}
	if hOK {
		if err := helped.Scan(&h.child, &h.ym, &h.last, &h.n); err != nil {
			return err
		}
	}
	var fs []facts.Fact
	for kids.Next() {
		var k child
		if err := kids.Scan(&k.id, &k.commune, &k.old, &k.sex, &k.dob); err != nil {
			return err
		}
		fs = fs[:0]
		for gOK && g.child < k.id {
			if gOK = groups.Next(); gOK {
				if err := groups.Scan(&g.child, &g.code, &g.start, &g.end); err != nil {
					return err
				}
			}
		}
		for gOK && g.child == k.id {
			fs = append(fs, facts.Fact{Kind: "csc", Unit: k.commune, Old: k.old, On: g.start, Until: g.end, Value: 1,
				Sex: k.sex, Born: k.dob, Attrs: []facts.Attr{{Dim: "group", Value: g.code}}})
			if gOK = groups.Next(); gOK {
				if err := groups.Scan(&g.child, &g.code, &g.start, &g.end); err != nil {
					return err
				}
			}
		}
		for hOK && h.child < k.id {
			if hOK = helped.Next(); hOK {
				if err := helped.Scan(&h.child, &h.ym, &h.last, &h.n); err != nil {
					return err
				}
			}
		}
		for hOK && h.child == k.id {
			fs = append(fs, facts.Fact{Kind: "helped", Unit: k.commune, Old: k.old, On: h.last, Until: h.last, Value: h.n,
				Sex: k.sex, Born: k.dob})
			if hOK = helped.Next(); hOK {
				if err := helped.Scan(&h.child, &h.ym, &h.last, &h.n); err != nil {
					return err
				}
			}
		}
		if err := each(facts.Entity{Key: k.id, Facts: fs}); err != nil {
			return err
		}
	}
	for _, r := range []interface{ Err() error }{kids, groups, helped} {
		if err := r.Err(); err != nil {
			return err
		}
	}
	return nil
}

// CheckSQL is the plain SQL of each measure the registry counts.
func (Children) CheckSQL(measure string) (string, bool) {
	switch measure {
	case "m_csc":
		return `SELECT c.commune_code, c.old_unit, COUNT(DISTINCT c.id) FROM standin_children c
			JOIN standin_child_groups g ON g.child_id = c.id
			WHERE g.start_on <= $2 AND g.end_on >= $1
			GROUP BY c.commune_code, c.old_unit`, true
	case "m_csc_helped":
		return `SELECT c.commune_code, c.old_unit, COUNT(DISTINCT c.id) FROM standin_children c
			JOIN standin_supports s ON s.child_id = c.id
			WHERE s.status = 'delivered' AND s.given_on BETWEEN $1 AND $2
			  AND EXISTS (SELECT 1 FROM standin_child_groups g WHERE g.child_id = c.id AND g.start_on <= $2 AND g.end_on >= $1)
			GROUP BY c.commune_code, c.old_unit`, true
	case "m_supports":
		return `SELECT c.commune_code, c.old_unit, COUNT(*) FROM standin_children c
			JOIN standin_supports s ON s.child_id = c.id
			WHERE s.status = 'delivered' AND s.given_on BETWEEN $1 AND $2
			GROUP BY c.commune_code, c.old_unit`, true
	}
	return "", false
}

// ---- hotline ----

// Hotline is the hotline stand-in: a contact is counted on the day it
// started (Vietnam time), in the child's or else the caller's commune
// (or province, or nowhere known), by channel, type and class; a referred
// contact is also a referral.
type Hotline struct{}

func (Hotline) Name() string { return "hotline" }

func (h Hotline) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return h.read(ctx, q, "", nil, each)
}

func (h Hotline) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for _, ks := range chunks(keys, 500) {
		err := h.read(ctx, q, " WHERE id IN ("+inList(len(ks))+")", args(ks), func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (Hotline) read(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	rows, err := q.QueryContext(ctx, `SELECT id, channel, type_code, class, started_on, unit_code, old_unit, referred
		FROM standin_contacts`+where+` ORDER BY id`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	fs := make([]facts.Fact, 0, 2)
	for rows.Next() {
		var id int64
		var channel, typ, class, unit string
		var on int32
		var old, referred bool
		if err := rows.Scan(&id, &channel, &typ, &class, &on, &unit, &old, &referred); err != nil {
			return err
		}
		fs = append(fs[:0], facts.Fact{Kind: "contact", Unit: unit, Old: old, On: on, Until: on, Value: 1,
			Attrs: []facts.Attr{{Dim: "channel", Value: channel}, {Dim: "type", Value: typ}, {Dim: "class", Value: class}}})
		if referred {
			fs = append(fs, facts.Fact{Kind: "referral", Unit: unit, Old: old, On: on, Until: on, Value: 1,
				Attrs: []facts.Attr{{Dim: "channel", Value: channel}}})
		}
		if err := each(facts.Entity{Key: id, Facts: fs}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (Hotline) CheckSQL(measure string) (string, bool) {
	switch measure {
	case "m_contacts":
		return `SELECT unit_code, old_unit, COUNT(*) FROM standin_contacts WHERE started_on BETWEEN $1 AND $2
			GROUP BY unit_code, old_unit`, true
	case "m_data_contacts":
		return `SELECT unit_code, old_unit, COUNT(*) FROM standin_contacts WHERE started_on BETWEEN $1 AND $2 AND class = 'data'
			GROUP BY unit_code, old_unit`, true
	case "m_referrals":
		return `SELECT unit_code, old_unit, COUNT(*) FROM standin_contacts WHERE started_on BETWEEN $1 AND $2 AND referred
			GROUP BY unit_code, old_unit`, true
	}
	return "", false
}

// ---- cases ----

// Cases is the case stand-in: a case counts on the day it was received,
// by its forms of abuse; an emergency case (assessed as needing action
// within 12 hours) is an emergency fact, and one acted on in time an
// emergency_12h fact; an approved plan a plan fact (plan_on_time when on
// time); the minutes to the first step a first_action fact.
type Cases struct{}

func (Cases) Name() string { return "cases" }

func (c Cases) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return c.read(ctx, q, "", nil, each)
}

func (c Cases) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for _, ks := range chunks(keys, 500) {
		err := c.read(ctx, q, " WHERE id IN ("+inList(len(ks))+")", args(ks), func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (Cases) read(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	forms := map[int64][]facts.Attr{}
	fw := strings.ReplaceAll(where, "id IN", "case_id IN")
	fr, err := q.QueryContext(ctx, `SELECT case_id, form FROM standin_case_forms`+fw, a...)
	if err != nil {
		return err
	}
	for fr.Next() {
		var id int64
		var f string
		if err := fr.Scan(&id, &f); err != nil {
			fr.Close()
			return err
		}
		forms[id] = append(forms[id], facts.Attr{Dim: "form", Value: f})
	}
	fr.Close()
	if err := fr.Err(); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, commune_code, old_unit, received_on, emergency, emergency_12h, plan, plan_on_time,
		first_action_minutes FROM standin_cases`+where+` ORDER BY id`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var fs []facts.Fact
	for rows.Next() {
		var id int64
		var unit string
		var old, em, em12, plan, planOK bool
		var on int32
		var minutes int64
		if err := rows.Scan(&id, &unit, &old, &on, &em, &em12, &plan, &planOK, &minutes); err != nil {
			return err
		}
		base := facts.Fact{Unit: unit, Old: old, On: on, Until: on, Value: 1, Attrs: forms[id]}
		fs = fs[:0]
		add := func(kind string, v int64) {
			f := base
			f.Kind, f.Value = kind, v
			fs = append(fs, f)
		}
		add("case", 1)
		if em {
			add("emergency", 1)
		}
		if em12 {
			add("emergency_12h", 1)
		}
		if plan {
			add("plan", 1)
		}
		if planOK {
			add("plan_on_time", 1)
		}
		if minutes >= 0 {
			add("first_action", minutes)
		}
		if err := each(facts.Entity{Key: id, Facts: fs}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (Cases) CheckSQL(measure string) (string, bool) {
	cond := map[string]string{
		"m_cases": "TRUE", "m_emergency": "emergency", "m_emergency_12h": "emergency_12h", "m_plans": "plan",
		"m_plans_on_time": "plan_on_time", "m_first_action_cases": "first_action_minutes >= 0",
	}
	if c, ok := cond[measure]; ok {
		return `SELECT commune_code, old_unit, COUNT(*) FROM standin_cases WHERE received_on BETWEEN $1 AND $2 AND ` + c + `
			GROUP BY commune_code, old_unit`, true
	}
	if measure == "m_first_action_minutes" {
		return `SELECT commune_code, old_unit, SUM(first_action_minutes) FROM standin_cases
			WHERE received_on BETWEEN $1 AND $2 AND first_action_minutes >= 0 GROUP BY commune_code, old_unit`, true
	}
	return "", false
}

// ---- abused children: the cases area's children, one entity per child ----

// Abused counts the children of abuse cases: one entity per child (its key
// in the case area), with one fact per case it is in.
type Abused struct{}

func (Abused) Name() string { return "abused" }

func (a Abused) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return a.read(ctx, q, "", nil, each)
}

func (a Abused) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for _, ks := range chunks(keys, 500) {
		err := a.read(ctx, q, " WHERE cc.child_key IN ("+inList(len(ks))+")", args(ks), func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (Abused) read(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	rows, err := q.QueryContext(ctx, `SELECT cc.child_key, cc.sex, cc.dob_on, c.id, c.commune_code, c.old_unit, c.received_on
		FROM standin_case_children cc JOIN standin_cases c ON c.id = cc.case_id`+where+` ORDER BY cc.child_key, c.id`, a...)
	if err != nil {
		return err
	}
	type row struct {
		child, caseID int64
		sex, unit     string
		dob, on       int32
		old           bool
	}
	var all []row
	var caseIDs []int64
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.child, &r.sex, &r.dob, &r.caseID, &r.unit, &r.old, &r.on); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
		caseIDs = append(caseIDs, r.caseID)
		if len(all) >= 20000 {
			break
		}
	}
	more := rows.Next()
	rows.Close()
	if more {
		// Large loads go child by child in batches of keys.
		return streamAbused(ctx, q, where, a, each)
	}
	forms, err := caseForms(ctx, q, caseIDs)
	if err != nil {
		return err
	}
	var fs []facts.Fact
	for i, r := range all {
		fs = append(fs, facts.Fact{Kind: "abused", Unit: r.unit, Old: r.old, On: r.on, Until: r.on, Value: 1,
			Sex: r.sex, Born: r.dob, Attrs: forms[r.caseID]})
		if i == len(all)-1 || all[i+1].child != r.child {
			if err := each(facts.Entity{Key: r.child, Facts: fs}); err != nil {
				return err
			}
			fs = nil
		}
	}
	return nil
}

// streamAbused loads every case child with the forms joined in SQL, for
// the initial load at scale.
func streamAbused(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	rows, err := q.QueryContext(ctx, `SELECT cc.child_key, cc.sex, cc.dob_on, c.id, c.commune_code, c.old_unit, c.received_on, COALESCE(f.form, '')
		FROM standin_case_children cc JOIN standin_cases c ON c.id = cc.case_id
		LEFT JOIN standin_case_forms f ON f.case_id = c.id`+where+` ORDER BY cc.child_key, c.id`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var fs []facts.Fact
	var cur, curCase int64 = -1, -1
	for rows.Next() {
		var child, caseID int64
		var sex, unit, form string
		var dob, on int32
		var old bool
		if err := rows.Scan(&child, &sex, &dob, &caseID, &unit, &old, &on, &form); err != nil {
			return err
		}
		if child != cur && cur >= 0 {
			if err := each(facts.Entity{Key: cur, Facts: fs}); err != nil {
				return err
			}
			fs = nil
		}
		if child != cur || caseID != curCase {
			fs = append(fs, facts.Fact{Kind: "abused", Unit: unit, Old: old, On: on, Until: on, Value: 1, Sex: sex, Born: dob})
		}
		if form != "" {
			fs[len(fs)-1].Attrs = append(fs[len(fs)-1].Attrs, facts.Attr{Dim: "form", Value: form})
		}
		cur, curCase = child, caseID
	}
	if cur >= 0 {
		if err := each(facts.Entity{Key: cur, Facts: fs}); err != nil {
			return err
		}
	}
	return rows.Err()
}

func caseForms(ctx context.Context, q store.Queryer, ids []int64) (map[int64][]facts.Attr, error) {
	out := map[int64][]facts.Attr{}
	for _, ks := range chunks(ids, 500) {
		rows, err := q.QueryContext(ctx, `SELECT case_id, form FROM standin_case_forms WHERE case_id IN (`+inList(len(ks))+`)`, args(ks)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var f string
			if err := rows.Scan(&id, &f); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = append(out[id], facts.Attr{Dim: "form", Value: f})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CheckSQL counts each child once per commune of its cases in the period.
func (Abused) CheckSQL(measure string) (string, bool) {
	if measure != "m_abused" {
		return "", false
	}
	return `SELECT c.commune_code, c.old_unit, COUNT(DISTINCT cc.child_key) FROM standin_case_children cc
		JOIN standin_cases c ON c.id = cc.case_id WHERE c.received_on BETWEEN $1 AND $2
		GROUP BY c.commune_code, c.old_unit`, true
}

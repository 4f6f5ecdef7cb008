package standin

import (
	"context"
	"strings"

	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// Child is a stand-in registry child.
type Child struct {
	ID      int64
	Commune string
	Old     bool // Commune is a pre-2025 code
	Sex     string
	DOB     int32
	Groups  []Group
}

// Group is a span of a special-circumstance group (End facts.Open while
// it holds).
type Group struct {
	Code       string
	Start, End int32
}

// Contact is a stand-in hotline contact.
type Contact struct {
	ID       int64
	Channel  string
	Type     string
	Class    string // data, non_data
	On       int32
	Unit     string
	Old      bool
	Referred bool
}

// Case is a stand-in case.
type Case struct {
	ID                 int64
	Commune            string
	Old                bool
	On                 int32
	Forms              []string
	Emergency, In12h   bool
	Plan, PlanOnTime   bool
	FirstActionMinutes int64 // -1 none
	Children           []CaseChild
}

// CaseChild is a child of a case.
type CaseChild struct {
	Key int64
	Sex string
	DOB int32
}

// AddChild writes a child and its groups, and touches the feed.
func AddChild(ctx context.Context, db *store.DB, c Child, at int64) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO standin_children (id, commune_code, old_unit, sex, dob_on) VALUES ($1, $2, $3, $4, $5)`,
			c.ID, c.Commune, c.Old, c.Sex, c.DOB); err != nil {
			return err
		}
		for _, g := range c.Groups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO standin_child_groups (child_id, code, start_on, end_on) VALUES ($1, $2, $3, $4)`,
				c.ID, g.Code, g.Start, g.End); err != nil {
				return err
			}
		}
		return facts.Touch(ctx, tx, "children", c.ID, at)
	})
}

// AddSupport writes a support of a child (planned, delivered, cancelled).
func AddSupport(ctx context.Context, db *store.DB, child int64, on int32, status string, at int64) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO standin_supports (child_id, given_on, status) VALUES ($1, $2, $3)`,
			child, on, status); err != nil {
			return err
		}
		return facts.Touch(ctx, tx, "children", child, at)
	})
}

// MoveChild changes a child's commune.
func MoveChild(ctx context.Context, db *store.DB, child int64, commune string, at int64) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE standin_children SET commune_code = $1, old_unit = FALSE WHERE id = $2`, commune, child); err != nil {
			return err
		}
		return facts.Touch(ctx, tx, "children", child, at)
	})
}

// DeleteChild removes a child (as a merge would).
func DeleteChild(ctx context.Context, db *store.DB, child int64, at int64) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		for _, q := range []string{`DELETE FROM standin_supports WHERE child_id = $1`, `DELETE FROM standin_child_groups WHERE child_id = $1`,
			`DELETE FROM standin_children WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, child); err != nil {
				return err
			}
		}
		return facts.Touch(ctx, tx, "children", child, at)
	})
}

// AddContact writes a contact.
func AddContact(ctx context.Context, db *store.DB, c Contact, at int64) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO standin_contacts (id, channel, type_code, class, started_on, unit_code, old_unit, referred)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, c.Channel, c.Type, c.Class, c.On, c.Unit, c.Old, c.Referred); err != nil {
			return err
		}
		return facts.Touch(ctx, tx, "hotline", c.ID, at)
	})
}

// AddCase writes a case with its forms and children.
func AddCase(ctx context.Context, db *store.DB, c Case, at int64) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		if err := insertCase(ctx, tx, c); err != nil {
			return err
		}
		if err := facts.Touch(ctx, tx, "cases", c.ID, at); err != nil {
			return err
		}
		for _, ch := range c.Children {
			if err := facts.Touch(ctx, tx, "abused", ch.Key, at); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertCase(ctx context.Context, tx store.Queryer, c Case) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO standin_cases (id, commune_code, old_unit, received_on, emergency, emergency_12h, plan,
		plan_on_time, first_action_minutes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.ID, c.Commune, c.Old, c.On, c.Emergency, c.In12h, c.Plan, c.PlanOnTime, c.FirstActionMinutes); err != nil {
		return err
	}
	for _, f := range c.Forms {
		if _, err := tx.ExecContext(ctx, `INSERT INTO standin_case_forms (case_id, form) VALUES ($1, $2)`, c.ID, f); err != nil {
			return err
		}
	}
	for _, ch := range c.Children {
		if _, err := tx.ExecContext(ctx, `INSERT INTO standin_case_children (case_id, child_key, sex, dob_on) VALUES ($1, $2, $3, $4)`,
			c.ID, ch.Key, ch.Sex, ch.DOB); err != nil {
			return err
		}
	}
	return nil
}

// values writes a multi-row VALUES list of n rows of k columns from $1.
func values(n, k int) string {
	var b strings.Builder
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$")
			b.WriteString(itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [12]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

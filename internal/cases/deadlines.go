package cases

import (
	"context"
	"fmt"
	"time"

	"treem/internal/store"
)

// Deadline is something due on a case.
type Deadline struct {
	ID         int64     `json:"id"`
	What       string    `json:"what"` // emergency, plan, approval
	Step       string    `json:"step"`
	DueAt      time.Time `json:"due_at"`
	DoneAt     time.Time `json:"done_at,omitzero"`
	Overdue    bool      `json:"overdue"`
	Escalation int       `json:"escalation"`
}

// Rule is a legal deadline (DOMAIN.md "The case procedure"), editable as
// data: Hours from the report's receipt, or WorkingDays from entering Step.
type Rule struct {
	What        string `json:"what"`
	Step        string `json:"step"`
	Hours       int    `json:"hours"`
	WorkingDays int    `json:"working_days"`
	Confirmed   bool   `json:"confirmed"`
	Note        string `json:"note"`
}

// Deadline kinds.
const (
	DueEmergency = "emergency" // emergency measure within 12 hours of receipt (Nghị định 56 Điều 31–32)
	DuePlan      = "plan"      // plan drafted within 5 working days (Điều 28)
	DueApproval  = "approval"  // plan approved (deadline unconfirmed, configurable)
)

// Rules reads the deadline rules.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	return rules(ctx, s.DB.Read())
}

func rules(ctx context.Context, q store.Queryer) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT what, step, hours, working_days, confirmed, note FROM case_deadline_rules ORDER BY what`)
	if err != nil {
		return nil, fmt.Errorf("read deadline rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.What, &r.Step, &r.Hours, &r.WorkingDays, &r.Confirmed, &r.Note); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// dueFor computes when a rule's deadline falls for a case entering the
// rule's step at `at`.
func dueFor(ctx context.Context, q store.Queryer, r Rule, received, at time.Time) (time.Time, error) {
	if r.Hours > 0 {
		return received.Add(time.Duration(r.Hours) * time.Hour), nil
	}
	return AddWorkingDays(ctx, q, at, r.WorkingDays)
}

// addDeadline opens a deadline unless one of the same kind is open.
func addDeadline(ctx context.Context, tx *store.Tx, c *Case, what, step string, due, now time.Time) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_deadlines WHERE case_id = $1 AND what = $2 AND done_at IS NULL`,
		c.ID, what).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	var assigned any
	if c.AssignedTo != 0 {
		assigned = c.AssignedTo
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO case_deadlines (case_id, what, step, due_at, commune, province, assigned_to, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, what, step, store.Millis(due), c.Commune, c.Province, assigned, store.Millis(now))
	if err != nil {
		return fmt.Errorf("add deadline: %w", err)
	}
	return nil
}

// closeDeadlines marks open deadlines of the given kinds done (all kinds
// when none is given).
func closeDeadlines(ctx context.Context, tx *store.Tx, caseID int64, now time.Time, what ...string) error {
	if len(what) == 0 {
		_, err := tx.ExecContext(ctx, `UPDATE case_deadlines SET done_at = $1 WHERE case_id = $2 AND done_at IS NULL`, store.Millis(now), caseID)
		return err
	}
	for _, w := range what {
		if _, err := tx.ExecContext(ctx, `UPDATE case_deadlines SET done_at = $1 WHERE case_id = $2 AND what = $3 AND done_at IS NULL`,
			store.Millis(now), caseID, w); err != nil {
			return err
		}
	}
	return nil
}

// enterStep opens the deadlines the rules attach to a step the case enters
// and closes those of the step it leaves. The emergency clock opens with a
// high-risk report or the emergency step and closes when an emergency
// measure is recorded (or the case is closed or transferred).
func enterStep(ctx context.Context, tx *store.Tx, c *Case, from, to string, now time.Time) error {
	if to == StepClosed || to == StepTransferred {
		return closeDeadlines(ctx, tx, c.ID, now)
	}
	rs, err := rules(ctx, tx)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Step == from && r.What != DueEmergency {
			if err := closeDeadlines(ctx, tx, c.ID, now, r.What); err != nil {
				return err
			}
		}
	}
	for _, r := range rs {
		if r.Step != to {
			continue
		}
		// The emergency clock runs from the report's receipt; on a later
		// return to the emergency step (new danger after a measure was
		// taken) it runs from now.
		base := c.ReceivedAt
		if r.What == DueEmergency && hasMeasure(ctx, tx, c.ID) {
			base = now
		}
		due, err := dueFor(ctx, tx, r, base, now)
		if err != nil {
			return err
		}
		if err := addDeadline(ctx, tx, c, r.What, r.Step, due, now); err != nil {
			return err
		}
	}
	return nil
}

func hasMeasure(ctx context.Context, q store.Queryer, caseID int64) bool {
	var n int
	q.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_emergencies WHERE case_id = $1`, caseID).Scan(&n)
	return n > 0
}

// emergencyRule returns the emergency rule (12 hours unless changed).
func emergencyRule(ctx context.Context, q store.Queryer) Rule {
	rs, _ := rules(ctx, q)
	for _, r := range rs {
		if r.What == DueEmergency {
			return r
		}
	}
	return Rule{What: DueEmergency, Step: StepEmergency, Hours: 12}
}

// Deadlines lists a case's deadlines, open ones first by due time.
func (s *Service) deadlines(ctx context.Context, q store.Queryer, caseID int64) ([]Deadline, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, what, step, due_at, done_at, escalation FROM case_deadlines
		WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.Now()
	out := []Deadline{}
	for rows.Next() {
		var d Deadline
		var due int64
		var done *int64
		if err := rows.Scan(&d.ID, &d.What, &d.Step, &due, &done, &d.Escalation); err != nil {
			return nil, err
		}
		d.DueAt = store.Time(due)
		if done != nil {
			d.DoneAt = store.Time(*done)
		} else {
			d.Overdue = now.After(d.DueAt)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Deadlines lists the deadlines of a case p may see.
func (s *Service) Deadlines(ctx context.Context, c *Case) ([]Deadline, error) {
	return s.deadlines(ctx, s.DB.Read(), c.ID)
}

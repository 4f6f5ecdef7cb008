package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

var errVersion = errors.New("case changed since")

// Change is what one write on a case did, as its timeline and audit show it.
type change struct {
	kind   string         // the event's kind
	detail map[string]any // no personal data
	secret map[string]any // free text: sealed
	audit  string         // the audit action
}

// Changed is an entry of the timeline a stale writer missed.
type Changed struct {
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	Kind   string         `json:"kind"`
	Detail map[string]any `json:"detail"`
}

// writable loads a case p may change: visible (else 404), p's role has
// perm (else 403), p is not reading it masked (a confidential case must be
// opened with a reason first), and version is the current one (else 409
// with what changed since).
func (s *Service) writable(ctx context.Context, p *auth.Principal, id int64, version int, perm auth.Perm) (*Case, error) {
	c, err := s.visible(ctx, s.DB.Read(), p, id)
	if err != nil {
		return nil, err
	}
	if p != nil && !p.Can(perm) {
		return nil, errs.Forbidden()
	}
	if c.Masked {
		return nil, errs.Conflict("cases.open_first")
	}
	if version <= 0 {
		return nil, errs.Validation().Field("version", "cases.version_required")
	}
	if version != c.Version {
		return nil, s.conflict(ctx, c.ID, version)
	}
	return c, nil
}

// conflict is the 409 of a stale write, with the current version and the
// timeline entries made since the writer's version.
func (s *Service) conflict(ctx context.Context, id int64, since int) error {
	var cur int
	s.DB.Read().QueryRowContext(ctx, `SELECT version FROM cases WHERE id = $1`, id).Scan(&cur)
	evs, _ := s.events(ctx, s.DB.Read(), id, since, true)
	changed := []Changed{}
	for _, e := range evs {
		changed = append(changed, Changed{At: e.At, Actor: e.ActorName, Kind: e.Kind, Detail: e.Detail})
	}
	return errs.Conflict("cases.version_conflict").With("version", cur).WithExtra("version", cur).WithExtra("changed", changed)
}

// commit writes a change made on version c.Version: bumps the version
// (refusing if another write came first), runs fn, appends the timeline
// entry and the audit entry, all in one transaction.
func (s *Service) commit(ctx context.Context, p *auth.Principal, c *Case, fn func(tx *store.Tx, now time.Time) (change, error)) error {
	now := s.Now()
	byID, byName := actor(ctx, p)
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3`,
			store.Millis(now), c.ID, c.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errVersion
		}
		ch, err := fn(tx, now)
		if err != nil {
			return err
		}
		var secret []byte
		if len(ch.secret) > 0 {
			if secret, err = s.sealJSON(sealEvent, ch.secret); err != nil {
				return err
			}
		}
		if err := appendEvent(ctx, tx, c.ID, Event{At: now, ActorID: byID, ActorName: byName, Kind: ch.kind, Detail: ch.detail},
			secret, c.Version+1); err != nil {
			return err
		}
		if err := touch(ctx, tx, c.ID, c.Children, store.Millis(now)); err != nil {
			return err
		}
		detail := ""
		if ch.detail != nil {
			if t, ok := ch.detail["to"].(string); ok {
				detail = "to=" + t
			}
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: ch.audit, RecordType: "case", RecordID: itoa(c.ID), Detail: detail})
	})
	if errors.Is(err, errVersion) {
		return s.conflict(ctx, c.ID, c.Version)
	}
	return err
}

// TransitionInput moves a case to another step.
type TransitionInput struct {
	To          string `json:"to"`
	Reason      string `json:"reason"`
	Version     int    `json:"version"`
	CloseReason string `json:"close_reason,omitempty"` // to closed: a CloseReasons code
	Commune     string `json:"commune,omitempty"`      // to transferred: the receiving commune
	Decline     bool   `json:"decline,omitempty"`      // out of transferred: the receiving commune declines
	DecisionNo  string `json:"decision_no,omitempty"`  // to implementing: the approval decision's number (Mẫu 05)
}

// Allowed lists the steps p may move the case to from where it is.
func (s *Service) Allowed(ctx context.Context, p *auth.Principal, c *Case) []string {
	prev := ""
	if c.Step == StepTransferred {
		prev = prevStep(ctx, s.DB.Read(), c.ID)
	}
	out := []string{}
	for _, to := range next(c.Step, prev) {
		if p == nil || p.Can(permFor(c.Step, to)) {
			out = append(out, to)
		}
	}
	return out
}

// prevStep is the step a case was in before its current one.
func prevStep(ctx context.Context, q store.Queryer, caseID int64) string {
	var step string
	q.QueryRowContext(ctx, `SELECT step FROM case_steps WHERE case_id = $1 ORDER BY id DESC LIMIT 1 OFFSET 1`, caseID).Scan(&step)
	return step
}

// Transition moves a case along the state machine (steps.go). An illegal
// move answers 409 with the allowed ones; a move the role may not make,
// 403. Who, when and why go to the timeline and the audit log, and the
// deadlines of the steps left and entered close and open.
func (s *Service) Transition(ctx context.Context, p *auth.Principal, id int64, in TransitionInput) (*Case, error) {
	c, err := s.visible(ctx, s.DB.Read(), p, id)
	if err != nil {
		return nil, err
	}
	if p != nil && !p.Can(auth.PermCaseWrite) && !p.Can(auth.PermCaseApprove) {
		return nil, errs.Forbidden()
	}
	prev := ""
	if c.Step == StepTransferred {
		prev = prevStep(ctx, s.DB.Read(), c.ID)
	}
	if !slices.Contains(next(c.Step, prev), in.To) {
		allowed := s.Allowed(ctx, p, c)
		return nil, errs.Conflict("cases.transition_illegal").With("from", c.Step).With("to", in.To).
			With("allowed", strings.Join(allowed, ", ")).WithExtra("allowed", allowed)
	}
	perm := permFor(c.Step, in.To)
	if c, err = s.writable(ctx, p, id, in.Version, perm); err != nil {
		return nil, err
	}
	v := errs.Validation()
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		v.Field("reason", "cases.reason_required")
	} else if len(reason) > maxText {
		v.Field("reason", "cases.text_too_long", "max", maxText)
	}
	if in.To == StepClosed && !valid(CloseReasons, in.CloseReason) {
		v.Field("close_reason", "cases.close_reason_invalid", "valid", list(CloseReasons))
	}
	var target string
	if in.To == StepTransferred {
		u, ok := s.Units.Get(strings.TrimSpace(in.Commune))
		switch {
		case !ok || len(u.Code) != 5:
			v.Field("commune", "cases.commune_invalid")
		case u.Code == c.Commune:
			v.Field("commune", "cases.transfer_same")
		default:
			target = u.Code
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	// Guards that depend on the case's records.
	q := s.DB.Read()
	switch {
	case c.Step == StepEmergency && !hasMeasure(ctx, q, c.ID):
		return nil, errs.Conflict("cases.measure_required")
	case c.Step == StepPlanning && in.To == StepPlanApproval && planIn(ctx, q, c.ID, "draft") == 0:
		return nil, errs.Conflict("cases.plan_required")
	case c.Step == StepPlanApproval && planIn(ctx, q, c.ID, "submitted") == 0:
		return nil, errs.Conflict("cases.plan_required")
	case c.Step == StepTransferred && p != nil && !p.Sees(c.Commune) && !p.Sees(c.TransferTo):
		return nil, errs.NotFound("case")
	}
	// Out of a transfer: the receiving commune accepts (the case moves to
	// it) unless it declines; the sending commune can only withdraw.
	accept := c.Step == StepTransferred && !in.Decline && (p == nil || p.Sees(c.TransferTo))
	byID, _ := actor(ctx, p)
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		set := `step = $1, step_at = $2`
		args := []any{in.To, store.Millis(now)}
		add := func(col string, val any) {
			args = append(args, val)
			set += fmt.Sprintf(", %s = $%d", col, len(args))
		}
		detail := map[string]any{"from": c.Step, "to": in.To}
		switch {
		case in.To == StepClosed:
			add("closed_at", store.Millis(now))
			add("close_reason", in.CloseReason)
			detail["close_reason"] = in.CloseReason
		case c.Step == StepClosed:
			add("closed_at", nil)
			add("close_reason", "")
			detail["reopened"] = true
		case in.To == StepTransferred:
			add("transfer_to", target)
			detail["commune"] = target
		case c.Step == StepTransferred && accept:
			add("commune", c.TransferTo)
			add("province", s.Units.ProvinceOf(c.TransferTo))
			add("transfer_from", c.Commune)
			add("transfer_to", "")
			var assigned any
			if p != nil && p.Role == auth.CommuneOfficer {
				assigned = p.UserID
			}
			add("assigned_to", assigned)
			detail["accepted"] = c.TransferTo
			detail["from_commune"] = c.Commune
		case c.Step == StepTransferred:
			add("transfer_to", "")
			detail["declined"] = c.TransferTo
		}
		args = append(args, c.ID)
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET `+set+fmt.Sprintf(` WHERE id = $%d`, len(args)), args...); err != nil {
			return change{}, fmt.Errorf("move case: %w", err)
		}
		if c.Step == StepTransferred && accept {
			if _, err := tx.ExecContext(ctx, `DELETE FROM case_workers WHERE case_id = $1`, c.ID); err != nil {
				return change{}, err
			}
			// A copy: the function may run twice (store.DB.Write).
			moved := *c
			moved.Commune, moved.Province = c.TransferTo, s.Units.ProvinceOf(c.TransferTo)
			moved.AssignedTo = 0
			if p != nil && p.Role == auth.CommuneOfficer {
				moved.AssignedTo = p.UserID
			}
			if err := syncDeadlines(ctx, tx, &moved); err != nil {
				return change{}, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE case_steps SET left_at = $1 WHERE case_id = $2 AND left_at IS NULL`,
			store.Millis(now), c.ID); err != nil {
			return change{}, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_steps (case_id, step, entered_at, by_id) VALUES ($1, $2, $3, $4)`,
			c.ID, in.To, store.Millis(now), byID); err != nil {
			return change{}, err
		}
		// Plans follow the approval steps.
		switch {
		case c.Step == StepPlanning && in.To == StepPlanApproval:
			if _, err := tx.ExecContext(ctx, `UPDATE case_plans SET state = 'submitted', submitted_at = $1, submitted_by = $2
				WHERE case_id = $3 AND state = 'draft'`, store.Millis(now), byID, c.ID); err != nil {
				return change{}, err
			}
		case c.Step == StepPlanApproval:
			state := "rejected"
			if in.To == StepImplementing {
				state = "approved"
				if _, err := tx.ExecContext(ctx, `UPDATE case_plans SET state = 'superseded' WHERE case_id = $1 AND state = 'approved'`, c.ID); err != nil {
					return change{}, err
				}
			}
			dec, err := s.sealJSON(sealDecision, map[string]string{"number": in.DecisionNo, "reason": reason})
			if err != nil {
				return change{}, err
			}
			_, byName := actor(ctx, p)
			if _, err := tx.ExecContext(ctx, `UPDATE case_plans SET state = $1, decision = $2, decided_at = $3, decided_by = $4,
				decided_by_name = $5 WHERE case_id = $6 AND state = 'submitted'`, state, dec, store.Millis(now), byID, byName, c.ID); err != nil {
				return change{}, err
			}
			detail["plan"] = state
		}
		if err := enterStep(ctx, tx, c, c.Step, in.To, now); err != nil {
			return change{}, err
		}
		return change{kind: "step", detail: detail, secret: map[string]any{"reason": reason}, audit: "case.transition"}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, s.DB.Read(), p, id)
}

// syncDeadlines copies the case's unit and assignee onto its open deadlines.
func syncDeadlines(ctx context.Context, tx *store.Tx, c *Case) error {
	var assigned any
	if c.AssignedTo != 0 {
		assigned = c.AssignedTo
	}
	_, err := tx.ExecContext(ctx, `UPDATE case_deadlines SET commune = $1, province = $2, assigned_to = $3
		WHERE case_id = $4 AND done_at IS NULL`, c.Commune, c.Province, assigned, c.ID)
	return err
}

func planIn(ctx context.Context, q store.Queryer, caseID int64, state string) int {
	var n int
	q.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_plans WHERE case_id = $1 AND state = $2`, caseID, state).Scan(&n)
	return n
}

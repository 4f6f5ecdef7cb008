package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/store"
)

// Update changes a case's summary, risk, forms of abuse, assignee and
// workers (PATCH: only the fields given).
type Update struct {
	Version    int       `json:"version"`
	Summary    *string   `json:"summary,omitempty"`
	Risk       *string   `json:"risk,omitempty"`
	AbuseForms *[]string `json:"abuse_forms,omitempty"`
	AssignedTo *int64    `json:"assigned_to,omitempty"`
	Workers    *[]int64  `json:"workers,omitempty"`
}

// Update applies u to a case.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, u Update) (*Case, error) {
	c, err := s.writable(ctx, p, id, u.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	v := errs.Validation()
	var fields []string
	set := []string{}
	args := []any{}
	add := func(col string, val any) {
		args = append(args, val)
		set = append(set, col+" = $"+strconv.Itoa(len(args)))
	}
	if u.Summary != nil {
		t := strings.TrimSpace(*u.Summary)
		if t == "" {
			v.Field("summary", "cases.required")
		} else if len(t) > maxSummary {
			v.Field("summary", "cases.text_too_long", "max", maxSummary)
		} else if t != c.Summary {
			b, err := s.Keys.SealString(sealSummary, t)
			if err != nil {
				return nil, err
			}
			add("summary", b)
			fields = append(fields, "summary")
		}
	}
	newRisk := c.Risk
	if u.Risk != nil && *u.Risk != c.Risk {
		if *u.Risk != "" && !valid(Risks, *u.Risk) {
			v.Field("risk", "cases.risk_invalid", "code", *u.Risk, "valid", list(Risks))
		} else {
			add("risk", *u.Risk)
			newRisk = *u.Risk
			fields = append(fields, "risk")
		}
	}
	if u.AbuseForms != nil {
		forms := checkCodes(v, "abuse_forms", "cases.form_invalid", *u.AbuseForms, AbuseForms)
		if !slices.Equal(forms, c.AbuseForms) {
			add("abuse_forms", strings.Join(forms, ","))
			conf := slices.Contains(forms, SexualAbuse)
			if conf != c.Confidential {
				// Once confidential, a case stays so unless only the form was a slip.
				add("confidential", b2i(conf || c.Confidential))
			}
			fields = append(fields, "abuse_forms")
		}
	}
	if u.AssignedTo != nil && *u.AssignedTo != c.AssignedTo {
		if *u.AssignedTo == 0 {
			add("assigned_to", nil)
		} else if err := s.checkWorker(ctx, *u.AssignedTo, c.Commune); err != nil {
			v.Field("assigned_to", "cases.worker_invalid")
		} else {
			add("assigned_to", *u.AssignedTo)
		}
		c.AssignedTo = *u.AssignedTo
		fields = append(fields, "assigned_to")
	}
	var workers []int64
	if u.Workers != nil {
		for _, w := range *u.Workers {
			if err := s.checkWorker(ctx, w, c.Commune); err != nil {
				v.Field("workers", "cases.worker_invalid")
				break
			}
			if !slices.Contains(workers, w) {
				workers = append(workers, w)
			}
		}
		fields = append(fields, "workers")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return c, nil
	}
	args = append(args, c.ID)
	update := `UPDATE cases SET ` + strings.Join(set, ", ") + ` WHERE id = $` + strconv.Itoa(len(args))
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		if len(set) > 0 {
			if _, err := tx.ExecContext(ctx, update, args...); err != nil {
				return change{}, err
			}
		}
		if u.Workers != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM case_workers WHERE case_id = $1`, c.ID); err != nil {
				return change{}, err
			}
			for _, w := range workers {
				if _, err := tx.ExecContext(ctx, `INSERT INTO case_workers (case_id, user_id, added_at) VALUES ($1, $2, $3)`,
					c.ID, w, store.Millis(now)); err != nil {
					return change{}, err
				}
			}
		}
		if slices.Contains(fields, "assigned_to") {
			if err := syncDeadlines(ctx, tx, c); err != nil {
				return change{}, err
			}
		}
		if newRisk == RiskHigh && c.Risk != RiskHigh && c.Open() {
			if err := s.openEmergencyClock(ctx, tx, c, now); err != nil {
				return change{}, err
			}
		}
		return change{kind: "updated", detail: map[string]any{"fields": fields}, audit: "case.update"}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, s.DB.Read(), p, id)
}

// openEmergencyClock opens the 12-hour deadline from the report's receipt
// when a case turns out to be high-risk and no emergency measure was taken.
func (s *Service) openEmergencyClock(ctx context.Context, tx *store.Tx, c *Case, now time.Time) error {
	if hasMeasure(ctx, tx, c.ID) {
		return nil
	}
	r := emergencyRule(ctx, tx)
	return addDeadline(ctx, tx, c, DueEmergency, StepEmergency, c.ReceivedAt.Add(time.Duration(r.Hours)*time.Hour), now)
}

// Assessment is a risk assessment: initial (Mẫu 02) or detailed (Mẫu 03,
// each factor scored high / medium / low).
type Assessment struct {
	ID       int64             `json:"id"`
	Kind     string            `json:"kind"`
	Risk     string            `json:"risk"`
	Factors  map[string]string `json:"factors"`
	Findings string            `json:"findings,omitempty"`
	Needs    string            `json:"needs,omitempty"`
	At       time.Time         `json:"created_at"`
	By       string            `json:"created_by"`
}

// AssessmentInput records an assessment.
type AssessmentInput struct {
	Version  int               `json:"version"`
	Kind     string            `json:"kind"` // initial, detailed
	Risk     string            `json:"risk"` // the overall level; for a detailed one the highest factor when empty
	Factors  map[string]string `json:"factors"`
	Findings string            `json:"findings"`
	Needs    string            `json:"needs"`
}

var riskRank = map[string]int{RiskLow: 1, RiskMedium: 2, RiskHigh: 3}

// AddAssessment records an assessment in the initial or detailed
// assessment step; it sets the case's risk, and a high risk starts the
// 12-hour emergency clock if no measure was taken.
func (s *Service) AddAssessment(ctx context.Context, p *auth.Principal, id int64, in AssessmentInput) (*Assessment, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	v := errs.Validation()
	if !valid(assessmentKinds, in.Kind) {
		v.Field("kind", "cases.kind_invalid", "valid", list(assessmentKinds))
	}
	factors := map[string]string{}
	for f, lv := range in.Factors {
		switch {
		case !valid(Factors, f):
			v.Field("factors."+f, "cases.factor_invalid", "valid", list(Factors))
		case !valid(Risks, lv):
			v.Field("factors."+f, "cases.risk_invalid", "code", lv, "valid", list(Risks))
		default:
			factors[f] = lv
		}
	}
	risk := in.Risk
	if in.Kind == "detailed" {
		for _, f := range Factors {
			if _, ok := in.Factors[f]; !ok {
				v.Field("factors."+f, "cases.factor_required")
			}
		}
		if risk == "" {
			for _, lv := range factors {
				if riskRank[lv] > riskRank[risk] {
					risk = lv
				}
			}
		}
	}
	if !valid(Risks, risk) {
		v.Field("risk", "cases.risk_invalid", "code", risk, "valid", list(Risks))
	}
	if len(in.Findings) > maxSummary || len(in.Needs) > maxSummary {
		v.Field("findings", "cases.text_too_long", "max", maxSummary)
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	step := map[string]string{"initial": StepInitialAssessment, "detailed": StepDetailedAssessment}[in.Kind]
	if c.Step != step {
		return nil, errs.Conflict("cases.wrong_step").With("step", step)
	}
	_, byName := actor(ctx, p)
	byID, _ := actor(ctx, p)
	var aid int64
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		data, err := s.sealJSON(sealAssessment, map[string]string{"findings": in.Findings, "needs": in.Needs})
		if err != nil {
			return change{}, err
		}
		fj, _ := json.Marshal(factors)
		if err := tx.QueryRowContext(ctx, `INSERT INTO case_assessments (case_id, kind, risk, factors, data, created_at, created_by, created_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, c.ID, in.Kind, risk, string(fj), data, store.Millis(now), byID, byName).Scan(&aid); err != nil {
			return change{}, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET risk = $1 WHERE id = $2`, risk, c.ID); err != nil {
			return change{}, err
		}
		if risk == RiskHigh {
			if err := s.openEmergencyClock(ctx, tx, c, now); err != nil {
				return change{}, err
			}
		}
		return change{kind: "assessment", detail: map[string]any{"assessment_id": aid, "kind": in.Kind, "risk": risk, "factors": factors},
			audit: "case.assessment"}, nil
	})
	if err != nil {
		return nil, err
	}
	return &Assessment{ID: aid, Kind: in.Kind, Risk: risk, Factors: factors, Findings: in.Findings, Needs: in.Needs, At: s.Now(), By: byName}, nil
}

// Emergency is an emergency measure or temporary separation decision
// (Mẫu số 07).
type Emergency struct {
	ID         int64     `json:"id"`
	Measure    string    `json:"measure"`
	DecidedAt  time.Time `json:"decided_at"`
	DecisionNo string    `json:"decision_no,omitempty"`
	DecidedBy  string    `json:"decided_by,omitempty"` // who signed: the commune chairman
	Place      string    `json:"place,omitempty"`      // where the child is cared for
	Until      string    `json:"until,omitempty"`      // the end of a temporary separation
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"created_at"`
	By         string    `json:"created_by"`
}

// EmergencyInput records an emergency measure.
type EmergencyInput struct {
	Version    int    `json:"version"`
	Measure    string `json:"measure"`
	DecidedAt  string `json:"decided_at"` // RFC 3339; now when empty
	DecisionNo string `json:"decision_no"`
	DecidedBy  string `json:"decided_by"`
	Place      string `json:"place"`
	Until      string `json:"until"`
	Reason     string `json:"reason"`
}

// AddEmergency records an emergency measure (Mẫu 07) while the case is in
// the emergency step; it meets the 12-hour deadline.
func (s *Service) AddEmergency(ctx context.Context, p *auth.Principal, id int64, in EmergencyInput) (*Emergency, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	v := errs.Validation()
	if !valid(EmergencyMeasures, in.Measure) {
		v.Field("measure", "cases.measure_invalid", "code", in.Measure, "valid", list(EmergencyMeasures))
	}
	decided := s.Now()
	if in.DecidedAt != "" {
		t, ok := parseTime(in.DecidedAt)
		if !ok || t.After(s.Now().Add(5*time.Minute)) {
			v.Field("decided_at", "cases.time_invalid")
		} else {
			decided = t
		}
	}
	if in.Until != "" {
		if _, err := dates.ParseDay(in.Until); err != nil {
			v.Field("until", "cases.date_invalid")
		}
	}
	if strings.TrimSpace(in.Reason) == "" {
		v.Field("reason", "cases.reason_required")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if c.Step != StepEmergency {
		return nil, errs.Conflict("cases.wrong_step").With("step", StepEmergency)
	}
	byID, byName := actor(ctx, p)
	e := &Emergency{Measure: in.Measure, DecidedAt: decided, DecisionNo: in.DecisionNo, DecidedBy: in.DecidedBy,
		Place: in.Place, Until: in.Until, Reason: in.Reason, By: byName}
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		data, err := s.sealJSON(sealEmergency, e)
		if err != nil {
			return change{}, err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO case_emergencies (case_id, measure, decided_at, data, created_at, created_by, created_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, c.ID, in.Measure, store.Millis(decided), data, store.Millis(now), byID, byName).Scan(&e.ID); err != nil {
			return change{}, err
		}
		e.At = now
		if err := closeDeadlines(ctx, tx, c.ID, now, DueEmergency); err != nil {
			return change{}, err
		}
		return change{kind: "emergency", detail: map[string]any{"emergency_id": e.ID, "measure": in.Measure},
			audit: "case.emergency"}, nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Plan is a support and intervention plan (Mẫu số 04) with its approval
// (Mẫu số 05).
type Plan struct {
	ID         int64     `json:"id"`
	Seq        int       `json:"seq"`
	State      string    `json:"state"` // draft, submitted, approved, rejected, superseded
	Goals      []string  `json:"goals"`
	Measures   []Measure `json:"measures"`
	StartsOn   string    `json:"starts_on,omitempty"`
	EndsOn     string    `json:"ends_on,omitempty"`
	At         time.Time `json:"created_at"`
	By         string    `json:"created_by"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
	DecidedBy  string    `json:"decided_by,omitempty"`
	DecisionNo string    `json:"decision_no,omitempty"`
	Decision   string    `json:"decision_reason,omitempty"`
}

// Measure is one action of a plan: what, who is responsible, which
// organisation, from when to when.
type Measure struct {
	Action       string `json:"action"`
	Responsible  string `json:"responsible"`
	Organisation string `json:"organisation,omitempty"`
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
}

// PlanInput drafts (or redrafts) the plan in the planning step.
type PlanInput struct {
	Version  int       `json:"version"`
	Goals    []string  `json:"goals"`
	Measures []Measure `json:"measures"`
	StartsOn string    `json:"starts_on"`
	EndsOn   string    `json:"ends_on"`
}

func dayNumOf(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	t, err := dates.ParseDay(s)
	if err != nil {
		return 0, false
	}
	return t.Year()*10000 + int(t.Month())*100 + t.Day(), true
}

// SavePlan drafts the plan (replacing the draft if there is one).
func (s *Service) SavePlan(ctx context.Context, p *auth.Principal, id int64, in PlanInput) (*Plan, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	v := errs.Validation()
	var goals []string
	for _, g := range in.Goals {
		if g = strings.TrimSpace(g); g != "" {
			goals = append(goals, g)
		}
	}
	if len(goals) == 0 {
		v.Field("goals", "cases.goals_required")
	}
	var measures []Measure
	for i, m := range in.Measures {
		f := "measures." + strconv.Itoa(i)
		m.Action, m.Responsible = strings.TrimSpace(m.Action), strings.TrimSpace(m.Responsible)
		if m.Action == "" && m.Responsible == "" {
			continue
		}
		if m.Action == "" {
			v.Field(f+".action", "cases.required")
		}
		if m.Responsible == "" {
			v.Field(f+".responsible", "cases.required")
		}
		from, ok1 := dayNumOf(m.From)
		to, ok2 := dayNumOf(m.To)
		if !ok1 || !ok2 || (from > 0 && to > 0 && to < from) {
			v.Field(f+".to", "cases.dates_invalid")
		}
		measures = append(measures, m)
	}
	if len(measures) == 0 {
		v.Field("measures", "cases.measures_required")
	}
	starts, ok1 := dayNumOf(in.StartsOn)
	ends, ok2 := dayNumOf(in.EndsOn)
	if !ok1 || !ok2 || (starts > 0 && ends > 0 && ends < starts) {
		v.Field("ends_on", "cases.dates_invalid")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if c.Step != StepPlanning {
		return nil, errs.Conflict("cases.wrong_step").With("step", StepPlanning)
	}
	byID, byName := actor(ctx, p)
	pl := &Plan{State: "draft", Goals: goals, Measures: measures, StartsOn: in.StartsOn, EndsOn: in.EndsOn, By: byName}
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		data, err := s.sealJSON(sealPlan, map[string]any{"goals": goals, "measures": measures})
		if err != nil {
			return change{}, err
		}
		var draft int64
		tx.QueryRowContext(ctx, `SELECT id FROM case_plans WHERE case_id = $1 AND state = 'draft'`, c.ID).Scan(&draft)
		if draft != 0 {
			pl.ID = draft
			_, err = tx.ExecContext(ctx, `UPDATE case_plans SET data = $1, starts_on = $2, ends_on = $3, created_at = $4, created_by = $5,
				created_by_name = $6 WHERE id = $7`, data, starts, ends, store.Millis(now), byID, byName, draft)
			tx.QueryRowContext(ctx, `SELECT seq FROM case_plans WHERE id = $1`, draft).Scan(&pl.Seq)
		} else {
			tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM case_plans WHERE case_id = $1`, c.ID).Scan(&pl.Seq)
			err = tx.QueryRowContext(ctx, `INSERT INTO case_plans (case_id, seq, state, data, starts_on, ends_on, created_at, created_by, created_by_name)
				VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8) RETURNING id`, c.ID, pl.Seq, data, starts, ends, store.Millis(now), byID, byName).Scan(&pl.ID)
		}
		if err != nil {
			return change{}, err
		}
		pl.At = now
		return change{kind: "plan", detail: map[string]any{"plan_id": pl.ID, "seq": pl.Seq, "measures": len(measures)},
			audit: "case.plan"}, nil
	})
	if err != nil {
		return nil, err
	}
	return pl, nil
}

// ApprovalInput approves (Mẫu 05) or sends back the submitted plan.
type ApprovalInput struct {
	Version    int    `json:"version"`
	Approve    bool   `json:"approve"`
	DecisionNo string `json:"decision_no"`
	Reason     string `json:"reason"`
}

// Decide approves or sends back the submitted plan: the transition
// plan_approval → implementing or → planning, which needs cases.approve.
func (s *Service) Decide(ctx context.Context, p *auth.Principal, id, planID int64, in ApprovalInput) (*Case, error) {
	c, err := s.visible(ctx, s.DB.Read(), p, id)
	if err != nil {
		return nil, err
	}
	var state string
	err = s.DB.Read().QueryRowContext(ctx, `SELECT state FROM case_plans WHERE id = $1 AND case_id = $2`, planID, c.ID).Scan(&state)
	if err != nil {
		return nil, errs.NotFound("plan")
	}
	if p != nil && !p.Can(auth.PermCaseApprove) {
		return nil, errs.Forbidden()
	}
	if state != "submitted" {
		return nil, errs.Conflict("cases.plan_not_submitted")
	}
	to := StepPlanning
	if in.Approve {
		to = StepImplementing
	}
	reason := in.Reason
	if strings.TrimSpace(reason) == "" && in.Approve {
		reason = "approved"
	}
	return s.Transition(ctx, p, id, TransitionInput{To: to, Reason: reason, Version: in.Version, DecisionNo: in.DecisionNo})
}

// Review is a review of the case (Mẫu số 06).
type Review struct {
	ID       int64     `json:"id"`
	Outcome  string    `json:"outcome"`
	Findings string    `json:"findings,omitempty"`
	At       time.Time `json:"created_at"`
	By       string    `json:"created_by"`
}

// ReviewInput records a review and moves the case by its outcome: close
// (with close_reason), replan, or continue the plan.
type ReviewInput struct {
	Version     int    `json:"version"`
	Outcome     string `json:"outcome"`
	Findings    string `json:"findings"`
	CloseReason string `json:"close_reason,omitempty"`
}

// AddReview records a review in the reviewing step and makes the
// transition its outcome names.
func (s *Service) AddReview(ctx context.Context, p *auth.Principal, id int64, in ReviewInput) (*Case, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	v := errs.Validation()
	if !valid(ReviewOutcomes, in.Outcome) {
		v.Field("outcome", "cases.outcome_invalid", "valid", list(ReviewOutcomes))
	}
	if strings.TrimSpace(in.Findings) == "" {
		v.Field("findings", "cases.required")
	}
	if in.Outcome == "close" && !valid(CloseReasons, in.CloseReason) {
		v.Field("close_reason", "cases.close_reason_invalid", "valid", list(CloseReasons))
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if c.Step != StepReviewing {
		return nil, errs.Conflict("cases.wrong_step").With("step", StepReviewing)
	}
	byID, byName := actor(ctx, p)
	var rid int64
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		data, err := s.sealJSON(sealReview, map[string]string{"findings": in.Findings})
		if err != nil {
			return change{}, err
		}
		var plan sql.NullInt64
		tx.QueryRowContext(ctx, `SELECT MAX(id) FROM case_plans WHERE case_id = $1 AND state = 'approved'`, c.ID).Scan(&plan)
		var planArg any
		if plan.Valid {
			planArg = plan.Int64
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO case_reviews (case_id, plan_id, outcome, data, created_at, created_by, created_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, c.ID, planArg, in.Outcome, data, store.Millis(now), byID, byName).Scan(&rid); err != nil {
			return change{}, err
		}
		return change{kind: "review", detail: map[string]any{"review_id": rid, "outcome": in.Outcome}, audit: "case.review"}, nil
	})
	if err != nil {
		return nil, err
	}
	to := map[string]string{"close": StepClosed, "replan": StepPlanning, "continue": StepImplementing}[in.Outcome]
	return s.Transition(ctx, p, id, TransitionInput{To: to, Reason: "review " + strconv.FormatInt(rid, 10) + ": " + in.Outcome,
		Version: c.Version + 1, CloseReason: in.CloseReason})
}

// NoteInput adds a note to the timeline.
type NoteInput struct {
	Version int    `json:"version"`
	Text    string `json:"text"`
}

// AddNote adds a note (sealed) to the case's timeline.
func (s *Service) AddNote(ctx context.Context, p *auth.Principal, id int64, in NoteInput) (*Case, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return nil, errs.Validation().Field("text", "cases.required")
	}
	if len(text) > maxSummary {
		return nil, errs.Validation().Field("text", "cases.text_too_long", "max", maxSummary)
	}
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		return change{kind: "note", secret: map[string]any{"text": text}, audit: "case.note"}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, s.DB.Read(), p, id)
}

// PerpetratorInput sets the alleged perpetrator's details.
type PerpetratorInput struct {
	Version int `json:"version"`
	Perpetrator
}

// Perpetrator returns the alleged perpetrator, for those who may see it
// (else 403), and audits the read.
func (s *Service) Perpetrator(ctx context.Context, p *auth.Principal, c *Case) (*Perpetrator, error) {
	if !SeesPerpetrator(p, c) {
		return nil, errs.Forbidden()
	}
	var out Perpetrator
	if err := s.openJSON(sealPerpetrator, c.perpetrator, &out); err != nil {
		return nil, err
	}
	s.Audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "case.perpetrator.read", RecordType: "case", RecordID: itoa(c.ID)})
	return &out, nil
}

// SetPerpetrator records the alleged perpetrator's details.
func (s *Service) SetPerpetrator(ctx context.Context, p *auth.Principal, id int64, in PerpetratorInput) (*Case, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	if !SeesPerpetrator(p, c) {
		return nil, errs.Forbidden()
	}
	b, err := s.sealJSON(sealPerpetrator, in.Perpetrator)
	if err != nil {
		return nil, err
	}
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		_, err := tx.ExecContext(ctx, `UPDATE cases SET perpetrator = $1 WHERE id = $2`, b, c.ID)
		return change{kind: "perpetrator", audit: "case.perpetrator.update"}, err
	})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, s.DB.Read(), p, id)
}

// ReportInput adds a report to a case (Mẫu 01): another call about the
// same children, a hotline contact, a report from the police or a school.
type ReportInput struct {
	Version    int       `json:"version"`
	Source     string    `json:"source"`
	ContactID  int64     `json:"contact_id,omitempty"`
	ReceivedAt string    `json:"received_at"`
	Reporter   *Reporter `json:"reporter,omitempty"`
	Content    string    `json:"content"`
}

// AddReport records a further report on the case.
func (s *Service) AddReport(ctx context.Context, p *auth.Principal, id int64, in ReportInput) (*Case, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	v := errs.Validation()
	if !valid(Sources, in.Source) {
		v.Field("source", "cases.source_invalid", "code", in.Source, "valid", list(Sources))
	}
	received := s.Now()
	if in.ReceivedAt != "" {
		t, ok := parseTime(in.ReceivedAt)
		if !ok || t.After(s.Now().Add(5*time.Minute)) {
			v.Field("received_at", "cases.time_invalid")
		} else {
			received = t
		}
	}
	content := strings.TrimSpace(in.Content)
	if content == "" {
		v.Field("content", "cases.required")
	} else if len(content) > maxSummary {
		v.Field("content", "cases.text_too_long", "max", maxSummary)
	}
	if in.ContactID != 0 {
		if s.Hotline == nil {
			v.Field("contact_id", "cases.contact_unknown")
		} else if _, err := s.Hotline.Get(ctx, p, in.ContactID); err != nil {
			v.Field("contact_id", "cases.contact_unknown")
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	rep := Reporter{}
	if in.Reporter != nil {
		rep = *in.Reporter
	}
	data, err := s.sealJSON(sealReport, map[string]any{"reporter": rep, "content": content})
	if err != nil {
		return nil, err
	}
	byID, _ := actor(ctx, p)
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		var contact any
		if in.ContactID != 0 {
			contact = in.ContactID
		}
		var rid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO case_reports (case_id, source, contact_id, received_at, data, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, c.ID, in.Source, contact, store.Millis(received), data, store.Millis(now), byID).Scan(&rid); err != nil {
			return change{}, err
		}
		detail := map[string]any{"report_id": rid, "source": in.Source}
		if in.ContactID != 0 {
			detail["contact_id"] = in.ContactID
		}
		return change{kind: "report", detail: detail, audit: "case.report"}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, s.DB.Read(), p, id)
}

// IncidentInput adds an incident to a case.
type IncidentInput struct {
	Version int `json:"version"`
	Incident
}

// AddIncident records an incident (form of abuse, date, setting, place);
// its form joins the case's forms (sexual abuse makes it confidential).
func (s *Service) AddIncident(ctx context.Context, p *auth.Principal, id int64, in IncidentInput) (*Case, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	v := errs.Validation()
	inc := s.checkIncident(v, 0, in.Incident)
	if err := renameIncident(v.OrNil()); err != nil {
		return nil, err
	}
	byID, _ := actor(ctx, p)
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		if err := s.insertIncident(ctx, tx, c.ID, inc, byID, now); err != nil {
			return change{}, err
		}
		if !slices.Contains(c.AbuseForms, inc.Form) {
			forms := append(slices.Clone(c.AbuseForms), inc.Form)
			conf := c.Confidential || inc.Form == SexualAbuse
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET abuse_forms = $1, confidential = $2 WHERE id = $3`,
				strings.Join(forms, ","), b2i(conf), c.ID); err != nil {
				return change{}, err
			}
		}
		return change{kind: "incident", detail: map[string]any{"form": inc.Form, "setting": inc.Setting}, audit: "case.incident"}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, s.DB.Read(), p, id)
}

// renameIncident names an incident's fields as the request did.
func renameIncident(err error) error {
	if err == nil {
		return nil
	}
	e := errs.As(err)
	c := *e
	c.Fields = map[string]errs.FieldError{}
	for n, fe := range e.Fields {
		c.Fields[strings.TrimPrefix(n, "incidents.0.")] = fe
	}
	return &c
}

// ChildInput adds a child to a case: a registry id, or a new child.
type ChildInput struct {
	Version int      `json:"version"`
	Child   ChildRef `json:"child"`
}

// AddChild adds a child to the case (creating a new one in the registry
// when it is given by name, date of birth and sex).
func (s *Service) AddChild(ctx context.Context, p *auth.Principal, id int64, in ChildInput) (*Case, error) {
	c, err := s.writable(ctx, p, id, in.Version, auth.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	childID := in.Child.ID
	if childID != 0 {
		if _, err := s.Children.Get(ctx, p, childID); err != nil {
			return nil, errs.Validation().Field("child", "cases.child_unknown", "id", childID)
		}
		if slices.Contains(c.Children, childID) {
			return c, nil
		}
	} else {
		ci := children.Input{Name: &in.Child.Name, DOB: &in.Child.DOB, Sex: &in.Child.Sex, Commune: &c.Commune}
		if in.Child.PID != "" {
			ci.PID = &in.Child.PID
		}
		ch, err := s.Children.Create(ctx, p, ci)
		if err != nil {
			return nil, err
		}
		childID = ch.ID
	}
	err = s.commit(ctx, p, c, func(tx *store.Tx, now time.Time) (change, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_children (case_id, child_id) VALUES ($1, $2)`, c.ID, childID); err != nil {
			return change{}, err
		}
		if !slices.Contains(c.Children, childID) {
			c.Children = append(c.Children, childID) // touched with the others
		}
		return change{kind: "child", detail: map[string]any{"child_id": childID}, audit: "case.child"}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, s.DB.Read(), p, id)
}

// Officers lists the accounts that may work on a case of the commune:
// the commune's officers (for the assignment form).
func (s *Service) Officers(ctx context.Context, commune string) ([]auth.User, error) {
	if s.Auth == nil {
		return nil, nil
	}
	us, _, err := s.Auth.Users(ctx, nil, auth.UserFilter{Role: string(auth.CommuneOfficer), Unit: commune, Limit: 100})
	return us, err
}

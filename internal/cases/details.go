package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// Details are a case's records besides the case row: what the case page
// and GET /api/v1/cases/{id} show. Free text is left out when masked.
type Details struct {
	Reports     []Report     `json:"reports"`
	Incidents   []Incident   `json:"incidents"`
	Assessments []Assessment `json:"assessments"`
	Emergencies []Emergency  `json:"emergencies"`
	Plans       []Plan       `json:"plans"`
	Reviews     []Review     `json:"reviews"`
	Deadlines   []Deadline   `json:"deadlines"`
	Allowed     []string     `json:"allowed"`
}

// Details reads the records of a case the caller got with Get.
func (s *Service) Details(ctx context.Context, p *auth.Principal, c *Case) (*Details, error) {
	q := s.DB.Read()
	d := &Details{Reports: []Report{}, Incidents: []Incident{}, Assessments: []Assessment{}, Emergencies: []Emergency{},
		Plans: []Plan{}, Reviews: []Review{}}
	var err error
	if d.Deadlines, err = s.deadlines(ctx, q, c.ID); err != nil {
		return nil, err
	}
	d.Allowed = s.Allowed(ctx, p, c)
	each := func(query string, scan func(rows *sql.Rows) error) error {
		rows, err := q.QueryContext(ctx, query, c.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	open := func(context string, b []byte, v any) error {
		if c.Masked {
			return nil
		}
		return s.openJSON(context, b, v)
	}
	err = each(`SELECT id, source, contact_id, received_at, data FROM case_reports WHERE case_id = $1 ORDER BY id`, func(rows *sql.Rows) error {
		var r Report
		var contact sql.NullInt64
		var at int64
		var data []byte
		if err := rows.Scan(&r.ID, &r.Source, &contact, &at, &data); err != nil {
			return err
		}
		r.ContactID, r.ReceivedAt = contact.Int64, store.Time(at)
		var body struct {
			Reporter Reporter `json:"reporter"`
			Content  string   `json:"content"`
		}
		if err := open(sealReport, data, &body); err != nil {
			return err
		}
		r.Reporter, r.Content = body.Reporter, body.Content
		d.Reports = append(d.Reports, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT id, form, occurred_on, setting, data FROM case_incidents WHERE case_id = $1 ORDER BY id`, func(rows *sql.Rows) error {
		var i Incident
		var on int
		var data []byte
		if err := rows.Scan(&i.ID, &i.Form, &on, &i.Setting, &data); err != nil {
			return err
		}
		if on > 0 {
			i.Date = numDay(on).Format("2006-01-02")
		}
		if err := open(sealIncident, data, &i); err != nil {
			return err
		}
		d.Incidents = append(d.Incidents, i)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT id, kind, risk, factors, data, created_at, created_by_name FROM case_assessments WHERE case_id = $1 ORDER BY id`, func(rows *sql.Rows) error {
		var a Assessment
		var factors string
		var data []byte
		var at int64
		if err := rows.Scan(&a.ID, &a.Kind, &a.Risk, &factors, &data, &at, &a.By); err != nil {
			return err
		}
		a.At = store.Time(at)
		json.Unmarshal([]byte(factors), &a.Factors)
		var body struct{ Findings, Needs string }
		if err := open(sealAssessment, data, &body); err != nil {
			return err
		}
		a.Findings, a.Needs = body.Findings, body.Needs
		d.Assessments = append(d.Assessments, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT id, measure, decided_at, data, created_at, created_by_name FROM case_emergencies WHERE case_id = $1 ORDER BY id`, func(rows *sql.Rows) error {
		var e Emergency
		var decided, at int64
		var data []byte
		var by string
		if err := rows.Scan(&e.ID, &e.Measure, &decided, &data, &at, &by); err != nil {
			return err
		}
		if err := open(sealEmergency, data, &e); err != nil {
			return err
		}
		e.DecidedAt, e.At, e.By = store.Time(decided), store.Time(at), by
		d.Emergencies = append(d.Emergencies, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT id, seq, state, data, decision, starts_on, ends_on, created_at, created_by_name, decided_at, decided_by_name
		FROM case_plans WHERE case_id = $1 ORDER BY seq`, func(rows *sql.Rows) error {
		var pl Plan
		var data, decision []byte
		var starts, ends int
		var at int64
		var decided sql.NullInt64
		if err := rows.Scan(&pl.ID, &pl.Seq, &pl.State, &data, &decision, &starts, &ends, &at, &pl.By, &decided, &pl.DecidedBy); err != nil {
			return err
		}
		pl.At = store.Time(at)
		if decided.Valid {
			pl.DecidedAt = store.Time(decided.Int64)
		}
		if starts > 0 {
			pl.StartsOn = numDay(starts).Format("2006-01-02")
		}
		if ends > 0 {
			pl.EndsOn = numDay(ends).Format("2006-01-02")
		}
		var body struct {
			Goals    []string  `json:"goals"`
			Measures []Measure `json:"measures"`
		}
		if err := open(sealPlan, data, &body); err != nil {
			return err
		}
		pl.Goals, pl.Measures = body.Goals, body.Measures
		var dec struct{ Number, Reason string }
		if err := open(sealDecision, decision, &dec); err != nil {
			return err
		}
		pl.DecisionNo, pl.Decision = dec.Number, dec.Reason
		if pl.Goals == nil {
			pl.Goals = []string{}
		}
		if pl.Measures == nil {
			pl.Measures = []Measure{}
		}
		d.Plans = append(d.Plans, pl)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT id, outcome, data, created_at, created_by_name FROM case_reviews WHERE case_id = $1 ORDER BY id`, func(rows *sql.Rows) error {
		var r Review
		var data []byte
		var at int64
		if err := rows.Scan(&r.ID, &r.Outcome, &data, &at, &r.By); err != nil {
			return err
		}
		r.At = store.Time(at)
		var body struct{ Findings string }
		if err := open(sealReview, data, &body); err != nil {
			return err
		}
		r.Findings = body.Findings
		d.Reviews = append(d.Reviews, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// BreakGlassFor is how long a stated reason opens a confidential case.
const BreakGlassFor = 8 * time.Hour

// Access is a break-glass opening of a case.
type Access struct {
	ID       int64     `json:"id"`
	CaseID   int64     `json:"case_id"`
	Number   string    `json:"number"`
	UserID   int64     `json:"user_id"`
	UserName string    `json:"user"`
	Commune  string    `json:"commune"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Until    time.Time `json:"until"`
}

// BreakGlass opens a confidential case the caller is not assigned to, for
// BreakGlassFor, with a stated reason: audited (case.break_glass) and
// listed for the supervisors (AccessLog).
func (s *Service) BreakGlass(ctx context.Context, p *auth.Principal, id int64, reason string) (*Case, error) {
	c, err := s.visible(ctx, s.DB.Read(), p, id)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) < 10 {
		return nil, errs.Validation().Field("reason", "cases.break_glass_reason")
	}
	if len(reason) > maxText {
		return nil, errs.Validation().Field("reason", "cases.text_too_long", "max", maxText)
	}
	if !c.Masked {
		return c, nil
	}
	byID, byName := actor(ctx, p)
	now := s.Now()
	sealed, err := s.Keys.SealString(sealAccess, reason)
	if err != nil {
		return nil, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_access (case_id, user_id, user_name, commune, province, reason, at, until_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, byID, byName, c.Commune, c.Province, sealed, store.Millis(now),
			store.Millis(now.Add(BreakGlassFor))); err != nil {
			return err
		}
		if err := appendEvent(ctx, tx, c.ID, Event{At: now, ActorID: byID, ActorName: byName, Kind: "break_glass"}, nil, 0); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "case.break_glass", RecordType: "case", RecordID: itoa(c.ID)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// AccessLog lists break-glass openings in the caller's unit, newest
// first: the commune's officers see their commune's, a province officer
// the province's, national roles all. It is itself audited.
func (s *Service) AccessLog(ctx context.Context, p *auth.Principal, limit int) ([]Access, error) {
	if p != nil && !p.Can(auth.PermCaseRead) {
		return nil, errs.Forbidden()
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	query := `SELECT a.id, a.case_id, c.number, a.user_id, a.user_name, a.commune, a.reason, a.at, a.until_at
		FROM case_access a JOIN cases c ON c.id = a.case_id`
	var args []any
	sc := auth.Scope{}
	if p != nil {
		sc = p.Scope()
	}
	switch {
	case sc.Commune != "":
		query += ` WHERE a.commune = $1`
		args = append(args, sc.Commune)
	case sc.Province != "":
		query += ` WHERE a.province = $1`
		args = append(args, sc.Province)
	}
	args = append(args, limit)
	rows, err := s.DB.Read().QueryContext(ctx, query+` ORDER BY a.at DESC, a.id DESC LIMIT $`+itoa(int64(len(args))), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Access{}
	for rows.Next() {
		var a Access
		var reason []byte
		var at, until int64
		if err := rows.Scan(&a.ID, &a.CaseID, &a.Number, &a.UserID, &a.UserName, &a.Commune, &reason, &at, &until); err != nil {
			return nil, err
		}
		a.At, a.Until = store.Time(at), store.Time(until)
		if a.Reason, err = s.Keys.OpenString(sealAccess, reason); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.Audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "case.access_log.read", RecordType: "case_access", Detail: "rows=" + itoa(int64(len(out)))})
	return out, nil
}

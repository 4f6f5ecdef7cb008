package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/i18n"
	"treem/internal/store"
)

// ChildRef names a child of a new case: a registry id, or a new child
// (name, date of birth, sex) the case creates in the registry.
type ChildRef struct {
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	DOB  string `json:"dob,omitempty"`
	Sex  string `json:"sex,omitempty"`
	PID  string `json:"pid,omitempty"`
}

// UnmarshalJSON accepts a number (a registry id) or an object.
func (r *ChildRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' {
		var id int64
		if err := json.Unmarshal(b, &id); err != nil {
			var s string
			if json.Unmarshal(b, &s) != nil {
				return err
			}
			if id, err = strconv.ParseInt(s, 10, 64); err != nil {
				return err
			}
		}
		*r = ChildRef{ID: id}
		return nil
	}
	type plain ChildRef
	return json.Unmarshal(b, (*plain)(r))
}

// Reporter is who reported (Mẫu 01): sealed.
type Reporter struct {
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Address   string `json:"address,omitempty"`
	Relation  string `json:"relation,omitempty"`
	Anonymous bool   `json:"anonymous,omitempty"`
}

// Report is a report that opened or joined a case (Mẫu số 01).
type Report struct {
	ID         int64     `json:"id"`
	Source     string    `json:"source"`
	ContactID  int64     `json:"contact_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Reporter   Reporter  `json:"reporter"`
	Content    string    `json:"content,omitempty"`
}

// Incident is an event of abuse.
type Incident struct {
	ID          int64  `json:"id,omitempty"`
	Form        string `json:"form"`
	Date        string `json:"date,omitempty"` // yyyy-mm-dd (or partial)
	Setting     string `json:"setting,omitempty"`
	Place       string `json:"place,omitempty"`
	Description string `json:"description,omitempty"`
}

// Perpetrator is the alleged perpetrator: restricted (SeesPerpetrator).
type Perpetrator struct {
	Name          string `json:"name,omitempty"`
	Relation      string `json:"relation,omitempty"` // to the child
	Age           int    `json:"age,omitempty"`
	Sex           string `json:"sex,omitempty"`
	Address       string `json:"address,omitempty"`
	LivesWith     bool   `json:"lives_with_child,omitempty"`
	AccessToChild string `json:"access_to_child,omitempty"`
	Notes         string `json:"notes,omitempty"`
}

// NewCase is what opens a case.
type NewCase struct {
	Commune     string       `json:"commune"`
	Children    []ChildRef   `json:"children"`
	ReceivedAt  string       `json:"received_at"` // RFC 3339; now when empty
	Source      string       `json:"source"`
	Summary     string       `json:"summary"`
	AbuseForms  []string     `json:"abuse_forms"`
	Risk        string       `json:"risk"`
	ContactID   int64        `json:"contact_id,omitempty"` // the hotline contact that reported it
	Reporter    *Reporter    `json:"reporter,omitempty"`
	Incidents   []Incident   `json:"incidents,omitempty"`
	Perpetrator *Perpetrator `json:"perpetrator,omitempty"`
	AssignedTo  int64        `json:"assigned_to,omitempty"`
}

const (
	maxSummary  = 20000
	maxText     = 4000
	maxChildren = 20
)

// parseTime reads an RFC 3339 time, or a day (dd/mm/yyyy, yyyy-mm-dd) as
// its start in Vietnam.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, i18n.Vietnam); err == nil {
		return t, true
	}
	if d, err := dates.ParseDay(s); err == nil {
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, i18n.Vietnam), true
	}
	return time.Time{}, false
}

func list(codes []string) string { return strings.Join(codes, ", ") }

// checkCodes validates codes against a list, naming the valid ones.
func checkCodes(v *errs.Error, field, key string, given, valid []string) []string {
	var out []string
	for _, c := range given {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !slices.Contains(valid, c) {
			v.Field(field, key, "code", c, "valid", list(valid))
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func (s *Service) checkIncident(v *errs.Error, i int, in Incident) Incident {
	f := "incidents." + strconv.Itoa(i)
	if !valid(AbuseForms, in.Form) {
		v.Field(f+".form", "cases.form_invalid", "code", in.Form, "valid", list(AbuseForms))
	}
	if in.Setting != "" && !valid(Settings, in.Setting) {
		v.Field(f+".setting", "cases.setting_invalid", "code", in.Setting, "valid", list(Settings))
	}
	if in.Date != "" {
		d, err := dates.Parse(in.Date)
		if err != nil || d.IsZero() {
			v.Field(f+".date", "cases.date_invalid")
		} else if d.Time().After(s.Now()) {
			v.Field(f+".date", "cases.date_future")
		} else {
			in.Date = d.ISO()
		}
	}
	if len(in.Place) > maxText || len(in.Description) > maxSummary {
		v.Field(f, "cases.text_too_long", "max", maxSummary)
	}
	return in
}

// Create opens a case: checks everything first, creates the new children
// in the registry, then writes the case, its children, report, incidents
// and first deadlines in one transaction. A high-risk case gets the
// 12-hour emergency deadline from received_at.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewCase) (*Case, error) {
	if p != nil && !p.Can(auth.PermCaseWrite) {
		return nil, errs.Forbidden()
	}
	v := errs.Validation()
	commune, ok := s.Units.Get(strings.TrimSpace(in.Commune))
	switch {
	case strings.TrimSpace(in.Commune) == "":
		v.Field("commune", "cases.required")
	case !ok || commune.Level != geo.LevelCommune:
		v.Field("commune", "cases.commune_invalid")
	case p != nil && !p.Sees(commune.Code):
		return nil, errs.NotFound("unit")
	}
	now := s.Now()
	received := now
	if strings.TrimSpace(in.ReceivedAt) != "" {
		t, ok := parseTime(in.ReceivedAt)
		switch {
		case !ok:
			v.Field("received_at", "cases.time_invalid")
		case t.After(now.Add(5 * time.Minute)):
			v.Field("received_at", "cases.time_future")
		default:
			received = t
		}
	}
	if in.Source == "" {
		v.Field("source", "cases.source_required", "valid", list(Sources))
	} else if !valid(Sources, in.Source) {
		v.Field("source", "cases.source_invalid", "code", in.Source, "valid", list(Sources))
	}
	forms := checkCodes(v, "abuse_forms", "cases.form_invalid", in.AbuseForms, AbuseForms)
	if in.Risk != "" && !valid(Risks, in.Risk) {
		v.Field("risk", "cases.risk_invalid", "code", in.Risk, "valid", list(Risks))
	}
	summary := strings.TrimSpace(in.Summary)
	if summary == "" {
		v.Field("summary", "cases.required")
	} else if len(summary) > maxSummary {
		v.Field("summary", "cases.text_too_long", "max", maxSummary)
	}
	if len(in.Children) == 0 {
		v.Field("children", "cases.children_required")
	} else if len(in.Children) > maxChildren {
		v.Field("children", "cases.children_too_many", "max", maxChildren)
	}
	var incidents []Incident
	for i, inc := range in.Incidents {
		inc = s.checkIncident(v, i, inc)
		incidents = append(incidents, inc)
		if !slices.Contains(forms, inc.Form) && valid(AbuseForms, inc.Form) {
			forms = append(forms, inc.Form)
		}
	}
	// Children: registry ids must be visible; new ones valid.
	var existing []int64
	var fresh []children.Input
	for i, ref := range in.Children {
		f := "children." + strconv.Itoa(i)
		if ref.ID != 0 {
			if _, err := s.Children.Get(ctx, p, ref.ID); err != nil {
				v.Field(f, "cases.child_unknown", "id", ref.ID)
				continue
			}
			if !slices.Contains(existing, ref.ID) {
				existing = append(existing, ref.ID)
			}
			continue
		}
		ci := children.Input{Name: &ref.Name, DOB: &ref.DOB, Sex: &ref.Sex, Commune: &commune.Code}
		if ref.PID != "" {
			ci.PID = &ref.PID
		}
		if ok && commune.Level == geo.LevelCommune {
			if err := s.Children.Check(p, ci); err != nil {
				var e *errs.Error
				if errors.As(err, &e) && len(e.Fields) > 0 {
					for name, fe := range e.Fields {
						v.Field(f+"."+name, fe.Key, argsOf(fe.Args)...)
					}
				} else {
					return nil, err
				}
			}
		}
		fresh = append(fresh, ci)
	}
	var contact int64
	if in.ContactID != 0 {
		if s.Hotline == nil {
			v.Field("contact_id", "cases.contact_unknown")
		} else if _, err := s.Hotline.Get(ctx, p, in.ContactID); err != nil {
			v.Field("contact_id", "cases.contact_unknown")
		} else {
			contact = in.ContactID
		}
	}
	if in.AssignedTo != 0 {
		if err := s.checkWorker(ctx, in.AssignedTo, commune.Code); err != nil {
			v.Field("assigned_to", "cases.worker_invalid")
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	// New children go to the registry first (search-before-create is the
	// form's job: the API takes the caller's word that they are new).
	for _, ci := range fresh {
		ch, err := s.Children.Create(ctx, p, ci)
		if err != nil {
			return nil, err
		}
		existing = append(existing, ch.ID)
	}
	c := &Case{Commune: commune.Code, Province: s.Units.ProvinceOf(commune.Code), Step: StepReceived, Risk: in.Risk,
		Source: in.Source, AbuseForms: forms, ReceivedAt: received, Children: existing, Version: 1,
		Confidential: slices.Contains(forms, SexualAbuse), CreatedAt: now, UpdatedAt: now, StepAt: now}
	c.AssignedTo = in.AssignedTo
	if c.AssignedTo == 0 && p != nil && p.Role == auth.CommuneOfficer {
		c.AssignedTo = p.UserID
	}
	byID, byName := actor(ctx, p)
	sum, err := s.Keys.SealString(sealSummary, summary)
	if err != nil {
		return nil, err
	}
	var perp []byte
	if in.Perpetrator != nil {
		if perp, err = s.sealJSON(sealPerpetrator, in.Perpetrator); err != nil {
			return nil, err
		}
	}
	rep := Reporter{}
	if in.Reporter != nil {
		rep = *in.Reporter
	}
	repData, err := s.sealJSON(sealReport, map[string]any{"reporter": rep, "content": summary})
	if err != nil {
		return nil, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		number, err := nextNumber(ctx, tx, c.Commune, received)
		if err != nil {
			return err
		}
		c.Number = number
		var assigned any
		if c.AssignedTo != 0 {
			assigned = c.AssignedTo
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO cases (number, commune, province, step, step_at, risk, source, summary,
			abuse_forms, assigned_to, confidential, perpetrator, version, received_at, created_at, created_by, updated_at, received_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $15, $16, $17) RETURNING id`,
			c.Number, c.Commune, c.Province, c.Step, store.Millis(now), c.Risk, c.Source, sum, strings.Join(forms, ","),
			assigned, b2i(c.Confidential), perp, store.Millis(received), store.Millis(now), byID, store.Millis(now),
			dayNum(received)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("insert case: %w", err)
		}
		for _, ch := range c.Children {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_children (case_id, child_id) VALUES ($1, $2)`, c.ID, ch); err != nil {
				return fmt.Errorf("case child: %w", err)
			}
		}
		var contactArg any
		if contact != 0 {
			contactArg = contact
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_reports (case_id, source, contact_id, received_at, data, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, c.Source, contactArg, store.Millis(received), repData, store.Millis(now), byID); err != nil {
			return fmt.Errorf("case report: %w", err)
		}
		for _, inc := range incidents {
			if err := s.insertIncident(ctx, tx, c.ID, inc, byID, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_steps (case_id, step, entered_at, by_id) VALUES ($1, $2, $3, $4)`,
			c.ID, c.Step, store.Millis(now), byID); err != nil {
			return err
		}
		if c.Risk == RiskHigh {
			r := emergencyRule(ctx, tx)
			if err := addDeadline(ctx, tx, c, DueEmergency, StepEmergency, received.Add(time.Duration(r.Hours)*time.Hour), now); err != nil {
				return err
			}
		}
		detail := map[string]any{"number": c.Number, "source": c.Source, "risk": c.Risk, "abuse_forms": forms,
			"children": len(c.Children)}
		if contact != 0 {
			detail["contact_id"] = contact
		}
		if err := appendEvent(ctx, tx, c.ID, Event{At: now, ActorID: byID, ActorName: byName, Kind: "created", Detail: detail}, nil, 1); err != nil {
			return err
		}
		if err := touch(ctx, tx, c.ID, c.Children, store.Millis(now)); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "case.create", RecordType: "case", RecordID: itoa(c.ID),
			Detail: "commune=" + c.Commune + " children=" + strconv.Itoa(len(c.Children))})
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.DB.Read(), c.ID)
}

func argsOf(m map[string]any) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nextNumber gives the case number CCCCC-YYYY-NNNNNN: the counter row of
// the commune and year is updated in the case's transaction, so numbers
// stay unique however many instances create cases (the row lock
// serialises them on PostgreSQL; SQLite has one writer).
func nextNumber(ctx context.Context, tx *store.Tx, commune string, at time.Time) (string, error) {
	year := at.In(i18n.Vietnam).Year()
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO case_counters (commune, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (commune, year) DO UPDATE SET last = case_counters.last + 1 RETURNING last`, commune, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("next case number: %w", err)
	}
	return fmt.Sprintf("%s-%04d-%06d", commune, year, n), nil
}

func (s *Service) sealJSON(context string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return s.Keys.Seal(context, b)
}

func (s *Service) openJSON(context string, sealed []byte, v any) error {
	if len(sealed) == 0 {
		return nil
	}
	b, err := s.Keys.Open(context, sealed)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *Service) insertIncident(ctx context.Context, tx *store.Tx, caseID int64, inc Incident, by int64, now time.Time) error {
	data, err := s.sealJSON(sealIncident, map[string]string{"place": inc.Place, "description": inc.Description})
	if err != nil {
		return err
	}
	on := 0
	if inc.Date != "" {
		if d, err := dates.Parse(inc.Date); err == nil {
			on = d.Year*10000 + d.Month*100 + d.Day
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO case_incidents (case_id, form, occurred_on, setting, data, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, caseID, inc.Form, on, inc.Setting, data, store.Millis(now), by)
	return err
}

// actor names who acts, for the records that keep a name.
func actor(ctx context.Context, p *auth.Principal) (int64, string) {
	a := audit.ActorFrom(ctx)
	if p != nil {
		name := p.Name
		if name == "" {
			name = a.Name
		}
		return p.UserID, name
	}
	return 0, a.Name
}

// checkWorker checks that a user may work on a case of the commune: a
// commune officer of that commune, or a province officer of its province.
func (s *Service) checkWorker(ctx context.Context, userID int64, commune string) error {
	if s.Auth == nil {
		return nil
	}
	u, err := s.Auth.User(ctx, userID)
	if err != nil {
		return err
	}
	ok := (u.Role == auth.CommuneOfficer && u.Unit == commune) ||
		(u.Role == auth.ProvinceOfficer && u.Unit == s.Units.ProvinceOf(commune))
	if !ok {
		return errs.Invalid("cases.worker_invalid")
	}
	return nil
}

package indicators

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// Statuses of a return. Approval goes commune → province → nation; an
// approved return is locked until its approver reopens it.
const (
	StatusDraft            = "draft"
	StatusSubmitted        = "submitted"
	StatusProvinceApproved = "province_approved"
	StatusApproved         = "approved"
)

// Return is a commune's aggregate return for a form and period.
type Return struct {
	ID           int64            `json:"id"`
	Form         string           `json:"form"`
	FormVersion  int              `json:"form_version"`
	Commune      string           `json:"commune"`
	OldUnit      bool             `json:"old_unit"`
	Province     string           `json:"province"`
	Period       string           `json:"period"`
	DueOn        string           `json:"due_on"` // yyyy-mm-dd
	Status       string           `json:"status"`
	Class        string           `json:"class,omitempty"`
	Values       map[string]int64 `json:"values"`
	Points       int64            `json:"points,omitempty"`     // child-friendly scoring: total
	Recognised   *bool            `json:"recognised,omitempty"` // child-friendly scoring
	Version      int              `json:"version"`
	SubmittedAt  time.Time        `json:"submitted_at,omitzero"`
	FirstSubmit  time.Time        `json:"first_submitted_at,omitzero"`
	OnTime       bool             `json:"on_time"`
	UpdatedAt    time.Time        `json:"updated_at"`
	History      []ReturnEvent    `json:"history,omitempty"`
	CommuneName  string           `json:"commune_name"`
	ProvinceName string           `json:"province_name"`
}

// ReturnEvent is a step in a return's life.
type ReturnEvent struct {
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Note   string    `json:"note,omitempty"`
}

// Locked reports whether the return can no longer be changed without
// reopening.
func (r *Return) Locked() bool {
	return r.Status == StatusProvinceApproved || r.Status == StatusApproved
}

// ReturnInput is what a form sends.
type ReturnInput struct {
	Form    string           `json:"form"`
	Commune string           `json:"commune"`
	OldUnit bool             `json:"old_unit"`
	Period  string           `json:"period"`
	Class   string           `json:"class"`
	Values  map[string]int64 `json:"values"`
	Version int              `json:"version"` // for an update: the version read
}

// Service is the indicators area: the engine, the catalogue and returns.
type Service struct {
	*Engine
	audit *audit.Log
}

// NewService wraps an engine.
func NewService(e *Engine, log *audit.Log) *Service { return &Service{Engine: e, audit: log} }

// reformDay is when the two-tier units took effect.
const reformDay = 20250701

// CheckUnit resolves a return's commune: a current commune, or an old one
// for a period before the reform.
func (s *Service) checkCommune(code string, old bool, p Period, v *errs.Error) (province string) {
	g := s.units.geo
	if old {
		if p.End() >= reformDay {
			v.Field("commune", "returns.old_unit_after_reform")
			return
		}
		if _, ok := g.OldName(code); !ok || len(code) != 5 {
			v.Field("commune", "unit.unknown", "code", code)
			return
		}
		succ, _ := g.ResolveOld(code)
		return succ[0].Province
	}
	u, ok := g.Get(code)
	if !ok || u.Level != geo.LevelCommune {
		v.Field("commune", "returns.commune_unknown", "code", code)
		return
	}
	return u.Province
}

// validate checks a return's values against its form; complete asks for
// every field and the rules (on submission). Every problem at once.
func (s *Service) validate(f *Form, in ReturnInput, complete bool, v *errs.Error) {
	codes := f.FieldCodes()
	for k, val := range in.Values {
		if !slices.Contains(codes, k) {
			v.Field("values."+k, "returns.unknown_field")
			continue
		}
		if val < 0 {
			v.Field("values."+k, "returns.negative")
		}
	}
	for _, c := range f.Criteria {
		if val, ok := in.Values[c.Code]; ok && val > int64(c.Max) {
			v.Field("values."+c.Code, "returns.points_max", "max", c.Max)
		}
	}
	if f.Scoring() && in.Class != "" && f.Thresholds[in.Class] == 0 {
		v.Field("class", "returns.class_unknown")
	}
	if !complete {
		return
	}
	for _, c := range codes {
		if _, ok := in.Values[c]; !ok {
			v.Field("values."+c, "returns.required")
		}
	}
	if f.Scoring() && in.Class == "" {
		v.Field("class", "returns.required")
	}
	for _, r := range f.Rules {
		l, lok := in.Values[r.Left]
		rv, rok := in.Values[r.Right]
		if !lok || !rok {
			continue
		}
		ok := true
		switch r.Op {
		case "<=":
			ok = l <= rv
		case "<":
			ok = l < rv
		case ">=":
			ok = l >= rv
		case "=":
			ok = l == rv
		}
		if !ok {
			v.Field("values."+r.Left, r.Key, "left", l, "right", rv)
		}
	}
}

// Score totals a child-friendly scoring: recognised when every criterion
// scores more than 0 and the total reaches the class's threshold
// (Quyết định 06/QĐ-TTg).
func Score(f *Form, class string, values map[string]int64) (points int64, recognised bool) {
	recognised = true
	for _, c := range f.Criteria {
		v := values[c.Code]
		points += v
		if v <= 0 {
			recognised = false
		}
	}
	need := f.Thresholds[class]
	return points, recognised && need > 0 && points >= int64(need)
}

// DefaultClass is a commune's class for the scoring from its type: a ward
// is urban, a special zone (island) difficult, others "other" (a mountain
// or especially difficult commune chooses "difficult" on the form).
func DefaultClass(u geo.Unit) string {
	switch u.Type {
	case geo.TypePhuong:
		return ClassUrban
	case geo.TypeDacKhu:
		return ClassDifficult
	}
	return ClassOther
}

const returnCols = `id, form, form_version, commune_code, old_unit, province_code, period, due_on, status, commune_class,
	version, first_submitted_at, submitted_at, on_time, updated_at`

func scanReturn(row interface{ Scan(...any) error }) (Return, error) {
	var r Return
	var due int32
	var first, sub, upd int64
	err := row.Scan(&r.ID, &r.Form, &r.FormVersion, &r.Commune, &r.OldUnit, &r.Province, &r.Period, &due, &r.Status,
		&r.Class, &r.Version, &first, &sub, &r.OnTime, &upd)
	if err != nil {
		return r, store.NoRows(err)
	}
	r.DueOn = fmt.Sprintf("%04d-%02d-%02d", due/10000, due/100%100, due%100)
	r.FirstSubmit, r.SubmittedAt, r.UpdatedAt = store.Time(first), store.Time(sub), store.Time(upd)
	return r, nil
}

func (s *Service) fill(ctx context.Context, q store.Queryer, r *Return, history bool) error {
	r.Values = map[string]int64{}
	rows, err := q.QueryContext(ctx, `SELECT field, value FROM return_values WHERE return_id = $1`, r.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return err
		}
		r.Values[k] = v
	}
	rows.Close()
	g := s.units.geo
	if r.OldUnit {
		r.CommuneName, _ = g.OldName(r.Commune)
	} else if u, ok := g.Get(r.Commune); ok {
		r.CommuneName = u.FullName
	}
	if u, ok := g.Get(r.Province); ok {
		r.ProvinceName = u.FullName
	}
	if f, ok := s.Catalogue().Form(r.Form); ok && f.Scoring() {
		p, rec := Score(f, r.Class, r.Values)
		r.Points, r.Recognised = p, &rec
	}
	if !history {
		return rows.Err()
	}
	hr, err := q.QueryContext(ctx, `SELECT action, from_status, to_status, at, by_name, note FROM return_events WHERE return_id = $1 ORDER BY id`, r.ID)
	if err != nil {
		return err
	}
	defer hr.Close()
	for hr.Next() {
		var ev ReturnEvent
		var at int64
		if err := hr.Scan(&ev.Action, &ev.From, &ev.To, &at, &ev.By, &ev.Note); err != nil {
			return err
		}
		ev.At = store.Time(at)
		r.History = append(r.History, ev)
	}
	return hr.Err()
}

// GetReturn reads a return the principal may see.
func (s *Service) GetReturn(ctx context.Context, by *auth.Principal, id int64) (Return, error) {
	r, err := scanReturn(s.db.Read().QueryRowContext(ctx, `SELECT `+returnCols+` FROM returns WHERE id = $1`, id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.sees(by, r)) {
		return Return{}, errs.NotFound("return")
	}
	if err != nil {
		return Return{}, err
	}
	if err := s.fill(ctx, s.db.Read(), &r, true); err != nil {
		return Return{}, err
	}
	return r, nil
}

// sees reports whether the principal's scope covers a return: by its
// current province, and its commune for a commune officer.
func (s *Service) sees(by *auth.Principal, r Return) bool {
	sc := by.Scope()
	switch {
	case sc.Province == "":
		return true
	case sc.Commune != "":
		return !r.OldUnit && r.Commune == sc.Commune
	}
	return r.Province == sc.Province
}

// ReturnFilter selects returns.
type ReturnFilter struct {
	Form   string
	Period string
	Status string
	Unit   string // province or commune within the caller's scope
}

// ListReturns lists the returns in the caller's scope.
func (s *Service) ListReturns(ctx context.Context, by *auth.Principal, f ReturnFilter) ([]Return, error) {
	q := `SELECT ` + returnCols + ` FROM returns WHERE 1 = 1`
	var a []any
	add := func(cond string, v any) {
		a = append(a, v)
		q += fmt.Sprintf(" AND "+cond, len(a))
	}
	sc := by.Scope()
	if sc.Province != "" {
		add("province_code = $%d", sc.Province)
	}
	if sc.Commune != "" {
		add("commune_code = $%d", sc.Commune)
		q += " AND NOT old_unit"
	}
	if f.Unit != "" {
		if !by.Sees(f.Unit) {
			return nil, errs.NotFound("unit")
		}
		if len(f.Unit) == 2 {
			add("province_code = $%d", f.Unit)
		} else {
			add("commune_code = $%d", f.Unit)
		}
	}
	if f.Form != "" {
		add("form = $%d", f.Form)
	}
	if f.Period != "" {
		add("period = $%d", f.Period)
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	q += " ORDER BY period_start DESC, province_code, commune_code, form LIMIT 2000"
	rows, err := s.db.Read().QueryContext(ctx, q, a...)
	if err != nil {
		return nil, err
	}
	var out []Return
	for rows.Next() {
		r, err := scanReturn(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	for i := range out {
		if err := s.fill(ctx, s.db.Read(), &out[i], false); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// SaveReturn creates or updates a return (as a draft, or keeping it
// submitted). A locked return must be reopened first.
func (s *Service) SaveReturn(ctx context.Context, by *auth.Principal, in ReturnInput) (Return, error) {
	return s.save(ctx, by, in, false)
}

// SubmitReturn saves and submits a return: every field and rule checked.
func (s *Service) SubmitReturn(ctx context.Context, by *auth.Principal, in ReturnInput) (Return, error) {
	return s.save(ctx, by, in, true)
}

func (s *Service) save(ctx context.Context, by *auth.Principal, in ReturnInput, submit bool) (Return, error) {
	cat := s.Catalogue()
	v := errs.Validation()
	f, ok := cat.Form(in.Form)
	if !ok {
		v.Field("form", "returns.form_unknown")
		return Return{}, v
	}
	p, err := ParsePeriod(in.Period)
	switch {
	case err != nil:
		v.Field("period", "indicators.period_format")
	case p.Type != f.PeriodType():
		v.Field("period", "returns.period_type", "type", f.Period)
	case p.Start() > Day(s.now()):
		v.Field("period", "returns.period_future")
	}
	in.Commune = strings.TrimSpace(in.Commune)
	var province string
	if err == nil {
		province = s.checkCommune(in.Commune, in.OldUnit, p, v)
	}
	if f.Scoring() && in.Class == "" && !in.OldUnit {
		if u, ok := s.units.geo.Get(in.Commune); ok {
			in.Class = DefaultClass(u)
		}
	}
	s.validate(f, in, submit, v)
	if err := v.OrNil(); err != nil {
		return Return{}, err
	}
	if !by.Can(auth.PermReturnsEnter) || (province != "" && !by.SeesProvince(province)) ||
		(by.Scope().Commune != "" && (in.OldUnit || by.Scope().Commune != in.Commune)) {
		return Return{}, errs.NotFound("unit")
	}
	now := s.now()
	due := addDays(p.End(), f.DueDays)
	var out Return
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		cur, err := scanReturn(tx.QueryRowContext(ctx, `SELECT `+returnCols+` FROM returns
			WHERE form = $1 AND commune_code = $2 AND old_unit = $3 AND period = $4`, f.Code, in.Commune, in.OldUnit, p.String()))
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if exists {
			if cur.Locked() {
				return errs.Conflict("returns.locked").With("status", cur.Status)
			}
			if in.Version != 0 && in.Version != cur.Version {
				return errs.Conflict("returns.stale")
			}
		}
		status := StatusDraft
		if exists && cur.Status == StatusSubmitted {
			status = StatusSubmitted // a correction before approval stays submitted
		}
		if submit {
			status = StatusSubmitted
		}
		id := cur.ID
		if !exists {
			err = tx.QueryRowContext(ctx, `INSERT INTO returns (form, form_version, commune_code, old_unit, province_code, period,
				period_start, period_end, due_on, status, commune_class, created_at, created_by, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $13) RETURNING id`,
				f.Code, f.Version, in.Commune, in.OldUnit, province, p.String(), p.Start(), p.End(), due, status, in.Class,
				now.UnixMilli(), by.UserID).Scan(&id)
			if err != nil {
				return fmt.Errorf("insert return: %w", err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE returns SET status = $1, commune_class = $2, version = version + 1,
				form_version = $3, updated_at = $4, updated_by = $5 WHERE id = $6`,
				status, in.Class, f.Version, now.UnixMilli(), by.UserID, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM return_values WHERE return_id = $1`, id); err != nil {
				return err
			}
		}
		keys := make([]string, 0, len(in.Values))
		for k := range in.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO return_values (return_id, field, value) VALUES ($1, $2, $3)`, id, k, in.Values[k]); err != nil {
				return err
			}
		}
		if submit {
			first := cur.FirstSubmit.UnixMilli()
			onTime := cur.OnTime
			if !exists || cur.FirstSubmit.IsZero() {
				first = now.UnixMilli()
				onTime = Day(now) <= due
			}
			if _, err := tx.ExecContext(ctx, `UPDATE returns SET submitted_at = $1, first_submitted_at = $2, on_time = $3 WHERE id = $4`,
				now.UnixMilli(), first, onTime, id); err != nil {
				return err
			}
		}
		action, from := "save", cur.Status
		if !exists {
			from = ""
		}
		if submit {
			action = "submit"
		}
		if err := s.event(ctx, tx, by, id, action, from, status, ""); err != nil {
			return err
		}
		if err := facts.Touch(ctx, tx, "returns", id, now.UnixMilli()); err != nil {
			return err
		}
		r, err := scanReturn(tx.QueryRowContext(ctx, `SELECT `+returnCols+` FROM returns WHERE id = $1`, id))
		if err != nil {
			return err
		}
		out = r
		return s.audit.Append(ctx, tx, audit.Event{Action: "return." + action, RecordType: "return", RecordID: fmt.Sprint(id),
			Detail: "form=" + f.Code + " period=" + p.String() + " fields=" + strings.Join(keys, ",")})
	})
	if err != nil {
		return Return{}, err
	}
	if err := s.fill(ctx, s.db.Read(), &out, true); err != nil {
		return Return{}, err
	}
	return out, nil
}

func (s *Service) event(ctx context.Context, tx *store.Tx, by *auth.Principal, id int64, action, from, to, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO return_events (return_id, action, from_status, to_status, at, by_id, by_name, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, action, from, to, s.now().UnixMilli(), by.UserID, by.Username, note)
	return err
}

// ApproveReturn moves a return one level up: a province officer approves
// a submitted return of their province; a national approver one the
// province approved.
func (s *Service) ApproveReturn(ctx context.Context, by *auth.Principal, id int64) (Return, error) {
	return s.transition(ctx, by, id, "approve", "")
}

// ReopenReturn unlocks an approved return for changes: only its approver's
// level may (the province for a province-approved return, the nation for
// an approved one), with a reason; it goes back to draft.
func (s *Service) ReopenReturn(ctx context.Context, by *auth.Principal, id int64, note string) (Return, error) {
	if strings.TrimSpace(note) == "" {
		return Return{}, errs.Validation().Field("note", "returns.reason_required")
	}
	return s.transition(ctx, by, id, "reopen", strings.TrimSpace(note))
}

func (s *Service) transition(ctx context.Context, by *auth.Principal, id int64, action, note string) (Return, error) {
	if !by.Can(auth.PermReturnsAppr) {
		return Return{}, errs.Forbidden()
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		cur, err := scanReturn(tx.QueryRowContext(ctx, `SELECT `+returnCols+` FROM returns WHERE id = $1`, id))
		if errors.Is(err, store.ErrNotFound) || (err == nil && !s.sees(by, cur)) {
			return errs.NotFound("return")
		}
		if err != nil {
			return err
		}
		national := by.National()
		var to string
		switch {
		case action == "approve" && cur.Status == StatusSubmitted && !national:
			to = StatusProvinceApproved
		case action == "approve" && cur.Status == StatusProvinceApproved && national:
			to = StatusApproved
		case action == "approve" && cur.Status == StatusSubmitted && national:
			return errs.Conflict("returns.province_first")
		case action == "reopen" && cur.Status == StatusProvinceApproved:
			to = StatusDraft
		case action == "reopen" && cur.Status == StatusApproved && national:
			to = StatusDraft
		case action == "reopen" && cur.Status == StatusApproved:
			return errs.Conflict("returns.reopen_national")
		default:
			return errs.Conflict("returns.bad_transition").With("status", cur.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET status = $1, version = version + 1, updated_at = $2, updated_by = $3 WHERE id = $4`,
			to, s.now().UnixMilli(), by.UserID, id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, by, id, action, cur.Status, to, note); err != nil {
			return err
		}
		if err := facts.Touch(ctx, tx, "returns", id, s.now().UnixMilli()); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "return." + action, RecordType: "return", RecordID: fmt.Sprint(id),
			Detail: "from=" + cur.Status + " to=" + to})
	})
	if err != nil {
		return Return{}, err
	}
	return s.GetReturn(ctx, by, id)
}

func addDays(day int32, n int) int32 {
	t := time.Date(int(day/10000), time.Month(day/100%100), int(day%100), 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
	return int32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

// Completeness compares expected returns with those received for a form
// and period, per unit: every current commune is expected to send one.
type Completeness struct {
	Form    string             `json:"form"`
	Period  string             `json:"period"`
	DueOn   string             `json:"due_on"`
	Units   []UnitCompleteness `json:"units"`
	Total   UnitCompleteness   `json:"total"`
	Missing []string           `json:"missing,omitempty"` // communes that have sent nothing (for one province or commune)
}

// UnitCompleteness is the count for one unit.
type UnitCompleteness struct {
	Unit     string  `json:"ou"`
	Name     string  `json:"name"`
	Expected int     `json:"expected"`
	Received int     `json:"received"`
	OnTime   int     `json:"on_time"`
	Late     int     `json:"late"`
	Approved int     `json:"approved"`
	Complete float64 `json:"completeness_pct"`
	Timely   float64 `json:"timeliness_pct"`
}

// Completeness reports, for the caller's scope (or unit inside it), how
// many communes sent the return, on time or late, per province (national
// callers) or per commune.
func (s *Service) Completeness(ctx context.Context, by *auth.Principal, form, period, unit string) (Completeness, error) {
	cat := s.Catalogue()
	f, ok := cat.Form(form)
	v := errs.Validation()
	if !ok {
		v.Field("form", "returns.form_unknown")
	}
	p, err := ParsePeriod(period)
	if err != nil {
		v.Field("period", "indicators.period_format")
	} else if ok && p.Type != f.PeriodType() {
		v.Field("period", "returns.period_type", "type", f.Period)
	}
	if err := v.OrNil(); err != nil {
		return Completeness{}, err
	}
	if unit == "" || unit == Nation {
		unit = by.Unit
	}
	if !s.units.geo.Covers(by.Unit, unit) && unit != "" {
		return Completeness{}, errs.NotFound("unit")
	}
	g := s.units.geo
	type got struct {
		status string
		onTime bool
	}
	received := map[string]got{}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT commune_code, status, on_time FROM returns
		WHERE form = $1 AND period = $2 AND NOT old_unit AND status <> 'draft'`, f.Code, p.String())
	if err != nil {
		return Completeness{}, err
	}
	for rows.Next() {
		var c, st string
		var ot bool
		if err := rows.Scan(&c, &st, &ot); err != nil {
			rows.Close()
			return Completeness{}, err
		}
		received[c] = got{st, ot}
	}
	rows.Close()
	due := addDays(p.End(), f.DueDays)
	out := Completeness{Form: f.Code, Period: p.String(), DueOn: fmt.Sprintf("%04d-%02d-%02d", due/10000, due/100%100, due%100)}
	count := func(code, name string, communes []geo.Unit) UnitCompleteness {
		uc := UnitCompleteness{Unit: code, Name: name, Expected: len(communes)}
		for _, c := range communes {
			r, ok := received[c.Code]
			if !ok {
				continue
			}
			uc.Received++
			if r.onTime {
				uc.OnTime++
			} else {
				uc.Late++
			}
			if r.status == StatusApproved || r.status == StatusProvinceApproved {
				uc.Approved++
			}
		}
		if uc.Expected > 0 {
			uc.Complete = round(100*float64(uc.Received)/float64(uc.Expected), 1)
			uc.Timely = round(100*float64(uc.OnTime)/float64(uc.Expected), 1)
		}
		return uc
	}
	var all []geo.Unit
	switch u, _ := g.Get(unit); {
	case unit == "":
		for _, pr := range g.Provinces() {
			cs := g.Communes(pr.Code)
			all = append(all, cs...)
			out.Units = append(out.Units, count(pr.Code, pr.FullName, cs))
		}
		out.Total = count(Nation, NationUnit("vi").Name, all)
	case u.Level == geo.LevelProvince:
		all = g.Communes(u.Code)
		for _, c := range all {
			out.Units = append(out.Units, count(c.Code, c.FullName, []geo.Unit{c}))
		}
		out.Total = count(u.Code, u.FullName, all)
	default:
		all = []geo.Unit{u}
		out.Units = []UnitCompleteness{count(u.Code, u.FullName, all)}
		out.Total = out.Units[0]
	}
	if unit != "" {
		for _, c := range all {
			if _, ok := received[c.Code]; !ok {
				out.Missing = append(out.Missing, c.Code)
			}
		}
	}
	return out, nil
}

// ReturnsSource gives the engine the figures of returns sent (submitted or
// approved; drafts do not count): one fact per value, over the return's
// period.
type ReturnsSource struct{}

func (ReturnsSource) Name() string { return "returns" }

func (r ReturnsSource) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return r.read(ctx, q, "", nil, each)
}

func (r ReturnsSource) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for len(keys) > 0 {
		n := min(len(keys), 500)
		ks := keys[:n]
		keys = keys[n:]
		ph := make([]string, len(ks))
		a := make([]any, len(ks))
		for i, k := range ks {
			ph[i] = fmt.Sprintf("$%d", i+1)
			a[i] = k
		}
		err := r.read(ctx, q, " AND r.id IN ("+strings.Join(ph, ", ")+")", a, func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (ReturnsSource) read(ctx context.Context, q store.Queryer, where string, a []any, each func(facts.Entity) error) error {
	seed, _ := SeedCatalogue()
	forms := map[string]*Form{}
	for _, f := range seed.Forms {
		forms[f.Code] = f
	}
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.form, r.commune_code, r.old_unit, r.period_start, r.period_end, r.commune_class,
		v.field, v.value FROM returns r JOIN return_values v ON v.return_id = r.id
		WHERE r.status <> 'draft'`+where+` ORDER BY r.id, v.field`, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur int64 = -1
	var fs []facts.Fact
	var form, class string
	var vals map[string]int64
	var base facts.Fact
	flush := func() error {
		if cur < 0 {
			return nil
		}
		if f, ok := forms[form]; ok && f.Scoring() {
			points, rec := Score(f, class, vals)
			v := int64(0)
			if rec {
				v = 1
			}
			x := base
			x.Kind, x.Value = "return.cfc_recognised", v
			fs = append(fs, x)
			x.Kind, x.Value = "return.cfc_points", points
			fs = append(fs, x)
		}
		return each(facts.Entity{Key: cur, Facts: fs})
	}
	for rows.Next() {
		var id int64
		var unit, field, fm, cl string
		var old bool
		var start, end int32
		var value int64
		if err := rows.Scan(&id, &fm, &unit, &old, &start, &end, &cl, &field, &value); err != nil {
			return err
		}
		if id != cur {
			if err := flush(); err != nil {
				return err
			}
			cur, fs, form, class, vals = id, nil, fm, cl, map[string]int64{}
			base = facts.Fact{Unit: unit, Old: old, On: start, Until: end}
		}
		vals[field] = value
		x := base
		x.Kind, x.Value = "return."+field, value
		fs = append(fs, x)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// CheckSQL sums the returns' values with plain SQL. The child-friendly
// recognition is a rule over 13 scores, so it is checked through the
// stored points instead (see Verify's documentation).
func (ReturnsSource) CheckSQL(measure string) (string, bool) {
	field, ok := strings.CutPrefix(measureKind(measure), "return.")
	if !ok || field == "cfc_recognised" {
		return "", false
	}
	return `SELECT r.commune_code, r.old_unit, SUM(v.value) FROM returns r JOIN return_values v ON v.return_id = r.id
		WHERE r.status <> 'draft' AND v.field = '` + field + `' AND r.period_start >= $1 AND r.period_end <= $2
		GROUP BY r.commune_code, r.old_unit`, true
}

// measureKind is the fact kind of a seeded measure.
func measureKind(code string) string {
	seed, _ := SeedCatalogue()
	if m, ok := seed.Measure(code); ok {
		return m.Kind
	}
	return ""
}

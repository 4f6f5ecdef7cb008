package children

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/store"
)

// sees reports whether by may see a record of the unit; nil is the system
// (the command line, the demo seed), which sees everything.
func sees(by *auth.Principal, unit string) bool { return by == nil || by.Sees(unit) }

func can(by *auth.Principal, p auth.Perm) bool { return by == nil || by.Can(p) }

// actor names who acts, for the records that keep a name.
func actor(ctx context.Context, by *auth.Principal) (int64, string) {
	a := audit.ActorFrom(ctx)
	if by != nil {
		return by.UserID, a.Name
	}
	return 0, a.Name
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// Create registers a child.
func (s *Service) Create(ctx context.Context, by *auth.Principal, in Input) (Child, error) {
	if !can(by, auth.PermChildWrite) {
		return Child{}, errs.Forbidden()
	}
	c, err := s.apply(by, Child{}, in, true)
	if err != nil {
		return Child{}, err
	}
	byID, byName := actor(ctx, by)
	now := s.Now()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		id, err := s.insert(ctx, tx, c, byID, byName, nil, now)
		if err != nil {
			return err
		}
		c.ID = id
		if err := s.addHistory(ctx, tx, id, 1, "create", setFields(c), nil, byID, byName, now); err != nil {
			return err
		}
		if err := factsChanged(ctx, tx, store.Millis(now), id); err != nil {
			return err
		}
		rec := s.record(c)
		tx.After(func() { s.Index.Upsert(rec) })
		return s.Audit.Append(ctx, tx, audit.Event{Action: "child.create", RecordType: "child", RecordID: idStr(id),
			Detail: "commune=" + c.Commune})
	})
	if err != nil {
		return Child{}, err
	}
	return s.load(ctx, s.DB.Read(), c.ID)
}

// Check validates a new child as Create would, without saving it (for
// forms that look for matches before creating).
func (s *Service) Check(by *auth.Principal, in Input) error {
	_, err := s.apply(by, Child{}, in, true)
	return err
}

// CheckSupport validates help to record, without saving it.
func (s *Service) CheckSupport(in SupportInput) error {
	_, err := s.checkSupport(in)
	return err
}

// Get returns a child the principal may see, and audits the read. A child
// outside the scope answers like an absent one.
func (s *Service) Get(ctx context.Context, by *auth.Principal, id int64) (Child, error) {
	c, err := s.load(ctx, s.DB.Read(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(by, c.Commune)) {
		s.Audit.Record(ctx, audit.Event{Action: "child.read", RecordType: "child", RecordID: idStr(id), Outcome: audit.NotFound})
		return Child{}, errs.NotFound("child")
	}
	if err != nil {
		return Child{}, err
	}
	if err := s.Audit.Record(ctx, audit.Event{Action: "child.read", RecordType: "child", RecordID: idStr(id)}); err != nil {
		return Child{}, err
	}
	return c, nil
}

// visible loads a child the principal may see without auditing a read (the
// change that follows is audited).
func (s *Service) visible(ctx context.Context, by *auth.Principal, id int64) (Child, error) {
	c, err := s.load(ctx, s.DB.Read(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(by, c.Commune)) {
		return Child{}, errs.NotFound("child")
	}
	return c, err
}

// Update changes a child. in.Version must be the version the change was
// made on; if the record changed since, the answer is a 409 Conflict and
// nothing is written.
func (s *Service) Update(ctx context.Context, by *auth.Principal, id int64, in Input) (Child, error) {
	if !can(by, auth.PermChildWrite) {
		return Child{}, errs.Forbidden()
	}
	base, err := s.visible(ctx, by, id)
	if err != nil {
		return Child{}, err
	}
	if base.MergedInto != 0 {
		return Child{}, errs.Conflict("children.merged_readonly").With("id", base.MergedInto)
	}
	if in.Version <= 0 {
		return Child{}, errs.Validation().Field("version", "children.version_required")
	}
	if in.Version != base.Version {
		return Child{}, conflict(base.Version)
	}
	c, err := s.apply(by, base, in, false)
	if err != nil {
		return Child{}, err
	}
	fields, changes := diff(base, c)
	if len(fields) == 0 {
		return base, nil
	}
	byID, byName := actor(ctx, by)
	now := s.Now()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.update(ctx, tx, base, c, in.Version, byID, byName, now); err != nil {
			return err
		}
		if err := s.addHistory(ctx, tx, id, in.Version+1, "update", fields, changes, byID, byName, now); err != nil {
			return err
		}
		if err := factsChanged(ctx, tx, store.Millis(now), id); err != nil {
			return err
		}
		rec := s.record(c)
		tx.After(func() { s.Index.Upsert(rec) })
		return s.Audit.Append(ctx, tx, audit.Event{Action: "child.update", RecordType: "child", RecordID: idStr(id),
			Detail: "fields=" + strings.Join(fields, ",")})
	})
	if errors.Is(err, errVersion) {
		cur, _ := s.load(ctx, s.DB.Read(), id)
		return Child{}, conflict(cur.Version)
	}
	if err != nil {
		return Child{}, err
	}
	return s.load(ctx, s.DB.Read(), id)
}

func conflict(current int) error {
	return errs.Conflict("children.version_conflict").With("version", current).WithExtra("version", current)
}

// setFields names the fields a new record has values for.
func setFields(c Child) []string {
	fields, _ := diff(Child{}, c)
	return fields
}

// diff names the fields that differ between a and b, with their values.
func diff(a, b Child) ([]string, map[string][2]any) {
	var fields []string
	changes := map[string][2]any{}
	add := func(name string, x, y any, same bool) {
		if !same {
			fields = append(fields, name)
			changes[name] = [2]any{x, y}
		}
	}
	add("name", a.Name, b.Name, a.Name == b.Name)
	add("dob", a.DOB.String(), b.DOB.String(), a.DOB == b.DOB)
	add("sex", a.Sex.String(), b.Sex.String(), a.Sex == b.Sex)
	add("ethnicity", a.Ethnicity, b.Ethnicity, a.Ethnicity == b.Ethnicity)
	add("pid", a.PID, b.PID, a.PID == b.PID)
	add("commune", a.Commune, b.Commune, a.Commune == b.Commune)
	add("old_commune", a.OldCommune, b.OldCommune, a.OldCommune == b.OldCommune)
	add("address", a.Address, b.Address, a.Address == b.Address)
	add("phone", a.Phone, b.Phone, a.Phone == b.Phone)
	add("caregivers", a.Caregivers, b.Caregivers, caregiversEqual(a.Caregivers, b.Caregivers))
	pa, pb := periodsText(a.Periods), periodsText(b.Periods)
	add("groups", pa, pb, slices.Equal(pa, pb))
	add("risks", a.Risks, b.Risks, slices.Equal(a.Risks, b.Risks))
	add("disability_type", a.DisabilityType, b.DisabilityType, a.DisabilityType == b.DisabilityType)
	add("disability_level", a.DisabilityLevel, b.DisabilityLevel, a.DisabilityLevel == b.DisabilityLevel)
	add("school_status", a.SchoolStatus, b.SchoolStatus, a.SchoolStatus == b.SchoolStatus)
	add("insurance_card", a.InsuranceCard, b.InsuranceCard, a.InsuranceCard == b.InsuranceCard)
	add("notes", a.Notes, b.Notes, a.Notes == b.Notes)
	return fields, changes
}

// periodsText describes periods for the history: "a/a1 01/02/2020–".
func periodsText(ps []GroupPeriod) []string {
	var out []string
	for _, p := range ps {
		code := p.Code
		if p.Subgroup != "" {
			code += "/" + p.Subgroup
		}
		out = append(out, code+" "+p.Start.String()+"–"+p.End.String())
	}
	return out
}

// SupportInput is help to record.
type SupportInput struct {
	Kind      string `json:"kind"`
	Date      string `json:"date"`
	AmountVND *int64 `json:"amount_vnd"`
	Provider  string `json:"provider"`
	Status    string `json:"status"` // planned, delivered (default) or cancelled
	Note      string `json:"note"`
}

// AddSupport records help a child received.
func (s *Service) AddSupport(ctx context.Context, by *auth.Principal, childID int64, in SupportInput) (Support, error) {
	if !can(by, auth.PermChildWrite) {
		return Support{}, errs.Forbidden()
	}
	if _, err := s.visible(ctx, by, childID); err != nil {
		return Support{}, err
	}
	byID, byName := actor(ctx, by)
	var sp Support
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		sp, err = s.AddSupportTx(ctx, tx, childID, in, byID, byName)
		return err
	})
	return sp, err
}

// AddSupportTx records help a child received in the caller's transaction,
// for another area whose change delivers it (a referral marked delivered).
// That area has decided who may do it; this checks the child and the input
// and audits the change.
func (s *Service) AddSupportTx(ctx context.Context, tx *store.Tx, childID int64, in SupportInput, byID int64, byName string) (Support, error) {
	c, err := s.load(ctx, s.DB.Read(), childID)
	if errors.Is(err, store.ErrNotFound) {
		return Support{}, errs.NotFound("child")
	}
	if err != nil {
		return Support{}, err
	}
	if c.MergedInto != 0 {
		return Support{}, errs.Conflict("children.merged_readonly").With("id", c.MergedInto)
	}
	sp, err := s.checkSupport(in)
	if err != nil {
		return Support{}, err
	}
	sp.ChildID = childID
	now := s.Now()
	note, err := s.Keys.SealString(sealSupportNote, sp.Note)
	if err != nil {
		return Support{}, err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO supports (child_id, origin_child_id, kind, given_on, provider, amount_vnd,
		status, note, created_at, created_by, created_by_name) VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		childID, sp.Kind, dateNum(sp.Date), sp.Provider, sp.AmountVND, sp.Status, note, store.Millis(now), byID, byName).Scan(&sp.ID)
	if err != nil {
		return Support{}, fmt.Errorf("insert support: %w", err)
	}
	if err := factsChanged(ctx, tx, store.Millis(now), childID); err != nil {
		return Support{}, err
	}
	if err := s.Audit.Append(ctx, tx, audit.Event{Action: "support.create", RecordType: "child", RecordID: idStr(childID),
		Detail: "support=" + idStr(sp.ID) + " kind=" + sp.Kind + " status=" + sp.Status}); err != nil {
		return Support{}, err
	}
	sp.CreatedAt, sp.CreatedBy = store.Time(store.Millis(now)), byName
	return sp, nil
}

func (s *Service) checkSupport(in SupportInput) (Support, error) {
	v := errs.Validation()
	o := s.Options()
	sp := Support{Kind: strings.TrimSpace(in.Kind), Provider: strings.TrimSpace(in.Provider),
		Status: strings.TrimSpace(in.Status), Note: strings.TrimSpace(in.Note)}
	switch {
	case sp.Kind == "":
		v.Field("kind", "children.required")
	case !o.valid(ListSupportKind, sp.Kind, ""):
		v.Field("kind", "children.option_unknown", "code", sp.Kind)
	}
	if sp.Status == "" {
		sp.Status = StatusDelivered
	}
	if sp.Status != StatusPlanned && sp.Status != StatusDelivered && sp.Status != StatusCancelled {
		v.Field("status", "children.support_status")
	}
	day, err := dates.ParseDay(in.Date)
	var de *dates.Error
	if errors.As(err, &de) {
		v.Field("date", "children.date."+string(de.Reason), argPairs(de.Args())...)
	} else {
		sp.Date = dates.Date{Year: day.Year(), Month: int(day.Month()), Day: day.Day(), Precision: dates.Day}
		if sp.Status == StatusDelivered && dateNum(sp.Date) > dateNum(s.today()) {
			v.Field("date", "children.support_future")
		}
	}
	if in.AmountVND != nil {
		sp.AmountVND = *in.AmountVND
		if sp.AmountVND < 0 {
			v.Field("amount_vnd", "children.amount_negative")
		}
	}
	if len([]rune(sp.Provider)) > maxOther {
		v.Field("provider", "children.too_long", "max", maxOther)
	}
	if len([]rune(sp.Note)) > maxNotes {
		v.Field("note", "children.too_long", "max", maxNotes)
	}
	return sp, v.OrNil()
}

// Supports lists a child's supports, newest first, those of children merged
// into it included. The caller has read the child (Get).
func (s *Service) Supports(ctx context.Context, childID int64) ([]Support, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id, child_id, origin_child_id, kind, given_on, provider, amount_vnd,
		status, note, created_at, created_by_name FROM supports WHERE child_id = $1 ORDER BY given_on DESC, id DESC`, childID)
	if err != nil {
		return nil, fmt.Errorf("list supports: %w", err)
	}
	defer rows.Close()
	var out []Support
	for rows.Next() {
		var sp Support
		var origin int64
		var given int
		var note []byte
		var at int64
		if err := rows.Scan(&sp.ID, &sp.ChildID, &origin, &sp.Kind, &given, &sp.Provider, &sp.AmountVND, &sp.Status,
			&note, &at, &sp.CreatedBy); err != nil {
			return nil, err
		}
		if origin != sp.ChildID {
			sp.FromChild = origin
		}
		sp.Date, sp.CreatedAt = numDate(given, false), store.Time(at)
		if sp.Note, err = s.Keys.OpenString(sealSupportNote, note); err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// Helped reports which of the children had at least one delivered support
// dated in [from, to].
func (s *Service) Helped(ctx context.Context, ids []int64, from, to dates.Date) (map[int64]bool, error) {
	out := map[int64]bool{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		chunk := ids[:n]
		ids = ids[n:]
		args := append([]any{StatusDelivered, dateNum(from), dateNum(to)}, int64Args(chunk)...)
		rows, err := s.DB.Read().QueryContext(ctx, `SELECT DISTINCT child_id FROM supports
			WHERE status = $1 AND given_on >= $2 AND given_on <= $3 AND child_id IN (`+s.params(4, n)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("helped: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// yearSpan is a calendar year as a date range.
func yearSpan(y int) (dates.Date, dates.Date) {
	return dates.Date{Year: y, Month: 1, Day: 1, Precision: dates.Day}, dates.Date{Year: y, Month: 12, Day: 31, Precision: dates.Day}
}

// Event is an entry of a child's timeline.
type Event struct {
	At      time.Time
	Date    dates.Date // the day of a support or group change
	Kind    string     // create, import, update, merge, merged, unmerge, support, group_start, group_end
	By      string
	ChildID int64 // the record it happened on (a merged duplicate's, say)
	Fields  []string
	// Changes holds the values before and after, for those who may see
	// them (children.write); others see the field names only.
	Changes map[string][2]any
	Support *Support
	Group   *GroupPeriod
}

// Timeline is everything that happened to a child, newest first: the
// changes of its record and of the records merged into it, its supports and
// its groups.
func (s *Service) Timeline(ctx context.Context, by *auth.Principal, c Child) ([]Event, error) {
	ids := append([]int64{c.ID}, c.Merged...)
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT child_id, at, by_name, action, fields, changes FROM child_history
		WHERE child_id IN (`+s.params(1, len(ids))+`) ORDER BY id DESC`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	showValues := can(by, auth.PermChildWrite)
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		var fields string
		var changes []byte
		if err := rows.Scan(&e.ChildID, &at, &e.By, &e.Kind, &fields, &changes); err != nil {
			rows.Close()
			return nil, err
		}
		e.At = store.Time(at)
		if fields != "" {
			e.Fields = strings.Split(fields, ",")
		}
		if showValues && len(changes) > 0 {
			raw, err := s.Keys.Open(sealHistory, changes)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if err := json.Unmarshal(raw, &e.Changes); err != nil {
				rows.Close()
				return nil, err
			}
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c.importID != 0 {
		// An imported child's creation is its import's.
		e := Event{At: c.CreatedAt, Kind: "import", ChildID: c.ID}
		err := s.DB.Read().QueryRowContext(ctx, "SELECT by_name, file_name FROM child_imports WHERE id = $1", c.importID).
			Scan(&e.By, new(string))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		out = append(out, e)
	}
	sups, err := s.Supports(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for i := range sups {
		sp := &sups[i]
		out = append(out, Event{At: dayTime(sp.Date), Date: sp.Date, Kind: "support", By: sp.CreatedBy, ChildID: sp.ChildID, Support: sp})
	}
	for i := range c.Periods {
		p := &c.Periods[i]
		out = append(out, Event{At: dayTime(p.Start), Date: p.Start, Kind: "group_start", By: p.RecordedBy, ChildID: c.ID, Group: p})
		if !p.End.IsZero() {
			out = append(out, Event{At: dayTime(p.End), Date: p.End, Kind: "group_end", ChildID: c.ID, Group: p})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}

// dayTime places a date at noon in Vietnam, so that a day's dated events
// sort after the records made that morning.
func dayTime(d dates.Date) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return d.Time().Add(5 * time.Hour)
}

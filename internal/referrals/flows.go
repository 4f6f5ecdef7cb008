package referrals

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/ident"
	"treem/internal/store"
)

// States of a referral.
const (
	Requested = "requested"
	Accepted  = "accepted"
	Declined  = "declined"
	Delivered = "delivered"
	Done      = "done"
)

// next lists the states each state may go to.
var next = map[string][]string{
	Requested: {Accepted, Declined},
	Accepted:  {Delivered},
	Delivered: {Done},
}

// ChildIdentity is all of a child a provider sees.
type ChildIdentity struct {
	ID   int64      `json:"id"`
	Name string     `json:"name"`
	DOB  dates.Date `json:"dob"`
	Sex  ident.Sex  `json:"sex"`
}

// Referral is a request to a provider to serve a case's child.
type Referral struct {
	ID           int64          `json:"id"`
	CaseID       int64          `json:"case_id,omitempty"`     // not shown to the provider
	CaseNumber   string         `json:"case_number,omitempty"` // not shown to the provider
	Child        ChildIdentity  `json:"child"`
	ProviderID   int64          `json:"provider_id"`
	ProviderName string         `json:"provider_name"`
	Service      string         `json:"service"` // the registry's support_kind
	State        string         `json:"state"`
	Note         string         `json:"note"`     // what the provider is asked
	Response     string         `json:"response"` // the provider's answer
	DeliveredOn  dates.Date     `json:"delivered_on"`
	DeliveryNote string         `json:"delivery_note"`
	SupportID    int64          `json:"support_id,omitempty"`
	RequestedBy  string         `json:"requested_by"`
	RequestedAt  time.Time      `json:"requested_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	Version      int            `json:"version"`
	Allowed      []string       `json:"allowed"` // the states the caller may move it to
	Contacts     []ContactPoint `json:"provider_contacts,omitempty"`

	commune string
}

// NewReferral asks a provider to serve a child of a case.
type NewReferral struct {
	ProviderID int64  `json:"provider_id"`
	ChildID    int64  `json:"child_id"` // may be left out when the case has one child
	Service    string `json:"service"`  // default: by the provider's kind
	Note       string `json:"note"`
}

// Transition moves a referral on.
type Transition struct {
	To      string `json:"to"`
	Note    string `json:"note"`    // why declined, what was delivered
	Date    string `json:"date"`    // delivered on (default today)
	Version int    `json:"version"` // the version seen
}

const maxNote = 4000

// Create refers a child of a case to a provider; p must be able to work
// on the case.
func (s *Service) Create(ctx context.Context, p *auth.Principal, caseID int64, in NewReferral) (Referral, error) {
	c, err := s.Case(ctx, p, caseID, auth.PermCaseWrite)
	if err != nil {
		return Referral{}, err
	}
	v := errs.Validation()
	pr, err := s.load(ctx, in.ProviderID)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && !visibleTo(p, pr):
		v.Field("provider_id", "referrals.provider_unknown")
	case err != nil:
		return Referral{}, err
	case !pr.Active:
		v.Field("provider_id", "referrals.provider_inactive")
	case pr.Province != c.Province:
		v.Field("provider_id", "referrals.provider_outside")
	}
	if in.ChildID == 0 && len(c.Children) == 1 {
		in.ChildID = c.Children[0]
	}
	if !slices.Contains(c.Children, in.ChildID) {
		v.Field("child_id", "referrals.child_not_in_case")
	}
	in.Service = strings.TrimSpace(in.Service)
	if in.Service == "" {
		in.Service = DefaultService[pr.Kind]
	}
	if in.Service == "" {
		in.Service = "other"
	}
	if err := s.Children.CheckSupport(children.SupportInput{Kind: in.Service, Date: dates.Today(s.Now()).String()}); err != nil {
		var e *errs.Error
		if errors.As(err, &e) && e.Fields["kind"].Key != "" {
			v.Field("service", e.Fields["kind"].Key, "code", in.Service)
		}
	}
	in.Note = strings.TrimSpace(in.Note)
	if len([]rune(in.Note)) > maxNote {
		v.Field("note", "referrals.too_long", "max", maxNote)
	}
	if err := v.OrNil(); err != nil {
		return Referral{}, err
	}
	note, err := s.Keys.SealString(sealNote, in.Note)
	if err != nil {
		return Referral{}, err
	}
	byID, byName := actorName(ctx, p)
	now := s.Now()
	var id int64
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO referrals (case_id, child_id, provider_id, commune, province, service, state, note,
			version, requested_by, requested_by_name, requested_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $11) RETURNING id`,
			c.ID, in.ChildID, pr.ID, c.Commune, c.Province, in.Service, Requested, note, byID, byName, store.Millis(now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert referral: %w", err)
		}
		if err := s.AppendEvent(ctx, tx, c.ID, Event{At: now, ActorID: byID, ActorName: byName, Kind: "referral.requested",
			Detail: map[string]any{"referral": id, "provider": pr.Name, "provider_id": pr.ID, "service": in.Service, "child": in.ChildID}}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "referral.create", RecordType: "referral", RecordID: idStr(id),
			Detail: fmt.Sprintf("case=%d provider=%d child=%d", c.ID, pr.ID, in.ChildID)})
	})
	if err != nil {
		return Referral{}, err
	}
	r, err := s.read(ctx, id)
	if err != nil {
		return Referral{}, err
	}
	r.CaseNumber = c.Number
	return s.present(ctx, r, asCaseWorker, c.Masked)
}

const referralCols = `r.id, r.case_id, r.child_id, r.provider_id, p.name, r.service, r.state, r.note, r.response, r.delivered_on,
	r.delivery_note, r.support_id, r.requested_by_name, r.requested_at, r.updated_at, r.version, r.commune`

func (s *Service) scan(sc interface{ Scan(...any) error }) (Referral, error) {
	var r Referral
	var note, resp, dnote []byte
	var delivered int
	var req, upd int64
	err := sc.Scan(&r.ID, &r.CaseID, &r.Child.ID, &r.ProviderID, &r.ProviderName, &r.Service, &r.State, &note, &resp, &delivered,
		&dnote, &r.SupportID, &r.RequestedBy, &req, &upd, &r.Version, &r.commune)
	if err != nil {
		return r, err
	}
	r.RequestedAt, r.UpdatedAt = store.Time(req), store.Time(upd)
	if delivered != 0 {
		r.DeliveredOn = dates.Date{Year: delivered / 10000, Month: delivered / 100 % 100, Day: delivered % 100, Precision: dates.Day}
	}
	if r.Note, err = s.Keys.OpenString(sealNote, note); err != nil {
		return r, err
	}
	if r.Response, err = s.Keys.OpenString(sealResponse, resp); err != nil {
		return r, err
	}
	r.DeliveryNote, err = s.Keys.OpenString(sealDelivery, dnote)
	return r, err
}

func (s *Service) read(ctx context.Context, id int64) (Referral, error) {
	r, err := s.scan(s.DB.Read().QueryRowContext(ctx, `SELECT `+referralCols+` FROM referrals r JOIN providers p ON p.id = r.provider_id
		WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Referral{}, store.ErrNotFound
	}
	return r, err
}

// access is how p reaches a referral: as the provider's staff, or as
// someone who may work on (or read) its case.
type access int

const (
	noAccess access = iota
	asProvider
	asCaseReader
	asCaseWorker
)

// accessOf decides p's access to r, without auditing a denial.
func (s *Service) accessOf(ctx context.Context, p *auth.Principal, r Referral) (access, Case, error) {
	if p == nil {
		return asCaseWorker, Case{}, nil
	}
	if p.Can(auth.PermReferralWork) {
		pid, err := s.ProviderOf(ctx, p.UserID)
		if err != nil {
			return noAccess, Case{}, err
		}
		if pid != 0 && pid == r.ProviderID {
			return asProvider, Case{}, nil
		}
		return noAccess, Case{}, nil
	}
	if !p.Can(auth.PermCaseRead) {
		return noAccess, Case{}, nil
	}
	perm, a := auth.PermCaseRead, asCaseReader
	if p.Can(auth.PermCaseWrite) {
		perm, a = auth.PermCaseWrite, asCaseWorker
	}
	c, err := s.Case(ctx, p, r.CaseID, perm)
	if err != nil {
		if errs.Is(err, 404) || errs.Is(err, 403) {
			return noAccess, Case{}, nil
		}
		return noAccess, Case{}, err
	}
	return a, c, nil
}

// allowed lists the states a caller with access a may move r to.
func allowed(a access, r Referral) []string {
	var out []string
	for _, to := range next[r.State] {
		switch {
		case to == Done && a == asCaseWorker:
			out = append(out, to)
		case to != Done && (a == asProvider || a == asCaseWorker):
			out = append(out, to)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// present fills what the caller with access a may see: the child's
// identity (unless the case hides names from the caller), and for the
// provider nothing of the case.
func (s *Service) present(ctx context.Context, r Referral, a access, masked bool) (Referral, error) {
	r.Child = ChildIdentity{ID: r.Child.ID}
	if !masked {
		kid, err := s.Children.Get(ctx, nil, r.Child.ID) // audited as a read by the caller
		if err != nil && !errs.Is(err, 404) {
			return Referral{}, err
		}
		r.Child = ChildIdentity{ID: r.Child.ID, Name: kid.Name, DOB: kid.DOB, Sex: kid.Sex}
	}
	if a == asProvider {
		r.CaseID, r.CaseNumber = 0, ""
	}
	r.Allowed = allowed(a, r)
	if cs, err := s.contacts(ctx, []int64{r.ProviderID}); err == nil {
		r.Contacts = cs[r.ProviderID]
	}
	return r, nil
}

// Get returns a referral p may see: the provider's staff see it without
// its case; others see it when they see the case. Anyone else gets 404.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Referral, error) {
	r, err := s.read(ctx, id)
	a := noAccess
	var c Case
	if err == nil {
		a, c, err = s.accessOf(ctx, p, r)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && a == noAccess) {
		s.Audit.Record(ctx, audit.Event{Action: "referral.read", RecordType: "referral", RecordID: idStr(id), Outcome: audit.NotFound})
		return Referral{}, errs.NotFound("referral")
	}
	if err != nil {
		return Referral{}, err
	}
	if err := s.Audit.Record(ctx, audit.Event{Action: "referral.read", RecordType: "referral", RecordID: idStr(id)}); err != nil {
		return Referral{}, err
	}
	r.CaseNumber = c.Number
	return s.present(ctx, r, a, c.Masked)
}

// ForCase lists a case's referrals, newest first.
func (s *Service) ForCase(ctx context.Context, p *auth.Principal, caseID int64) ([]Referral, error) {
	c, err := s.Case(ctx, p, caseID, auth.PermCaseRead)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+referralCols+` FROM referrals r JOIN providers p ON p.id = r.provider_id
		WHERE r.case_id = $1 ORDER BY r.id DESC`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case referrals: %w", err)
	}
	list, err := s.collect(rows)
	if err != nil {
		return nil, err
	}
	a := asCaseWorker
	if p != nil && !p.Can(auth.PermCaseWrite) {
		a = asCaseReader
	}
	for i := range list {
		list[i].CaseNumber = c.Number
		list[i].Allowed = allowed(a, list[i])
	}
	return list, nil
}

func (s *Service) collect(rows *sql.Rows) ([]Referral, error) {
	defer rows.Close()
	out := []Referral{}
	for rows.Next() {
		r, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Inbox lists what was referred to p's provider, newest first; state
// narrows it. An account linked to no provider has an empty inbox.
func (s *Service) Inbox(ctx context.Context, p *auth.Principal, state string) ([]Referral, Provider, error) {
	if p == nil || !p.Can(auth.PermReferralWork) {
		return nil, Provider{}, errs.Forbidden()
	}
	pid, err := s.ProviderOf(ctx, p.UserID)
	if err != nil || pid == 0 {
		return []Referral{}, Provider{}, err
	}
	pr, err := s.load(ctx, pid)
	if err != nil {
		return nil, Provider{}, err
	}
	pr.Users = nil
	q := `SELECT ` + referralCols + ` FROM referrals r JOIN providers p ON p.id = r.provider_id WHERE r.provider_id = $1`
	args := []any{pid}
	if state != "" {
		q += ` AND r.state = $2`
		args = append(args, state)
	}
	rows, err := s.DB.Read().QueryContext(ctx, q+` ORDER BY r.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, Provider{}, fmt.Errorf("provider inbox: %w", err)
	}
	list, err := s.collect(rows)
	if err != nil {
		return nil, Provider{}, err
	}
	for i := range list {
		if list[i], err = s.present(ctx, list[i], asProvider, false); err != nil {
			return nil, Provider{}, err
		}
	}
	if err := s.Audit.Record(ctx, audit.Event{Action: "referral.list", RecordType: "provider", RecordID: idStr(pid),
		Detail: fmt.Sprintf("count=%d", len(list))}); err != nil {
		return nil, Provider{}, err
	}
	return list, pr, nil
}

// Move changes a referral's state. The provider's staff (or a case worker
// on its behalf, for providers without accounts) accept, decline and
// record delivery; a case worker marks it done. Delivery records the help
// on the child's registry record in the same transaction. An illegal move
// answers 409 with the allowed states; a stale version 409 too.
func (s *Service) Move(ctx context.Context, p *auth.Principal, id int64, in Transition) (Referral, error) {
	r, err := s.read(ctx, id)
	a := noAccess
	var c Case
	if err == nil {
		a, c, err = s.accessOf(ctx, p, r)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && a == noAccess) {
		s.Audit.Record(ctx, audit.Event{Action: "referral.update", RecordType: "referral", RecordID: idStr(id), Outcome: audit.NotFound})
		return Referral{}, errs.NotFound("referral")
	}
	if err != nil {
		return Referral{}, err
	}
	if a == asCaseReader {
		return Referral{}, errs.Forbidden()
	}
	ok := allowed(a, r)
	if !slices.Contains(ok, in.To) {
		return Referral{}, errs.Conflict("referrals.transition").With("from", r.State).With("to", in.To).WithExtra("allowed", ok)
	}
	if in.Version != r.Version {
		return Referral{}, errs.Conflict("referrals.version").With("version", r.Version).WithExtra("version", r.Version)
	}
	in.Note = strings.TrimSpace(in.Note)
	v := errs.Validation()
	if len([]rune(in.Note)) > maxNote {
		v.Field("note", "referrals.too_long", "max", maxNote)
	}
	if in.To == Declined && in.Note == "" {
		v.Field("note", "referrals.decline_reason")
	}
	now := s.Now()
	on := dates.Today(now)
	if in.To == Delivered && strings.TrimSpace(in.Date) != "" {
		day, err := dates.ParseDay(in.Date)
		if err != nil {
			v.Field("date", "referrals.date")
		} else {
			on = dates.Date{Year: day.Year(), Month: int(day.Month()), Day: day.Day(), Precision: dates.Day}
			if on.Compare(dates.Today(now)) > 0 {
				v.Field("date", "referrals.date_future")
			}
		}
	}
	if err := v.OrNil(); err != nil {
		return Referral{}, err
	}
	byID, byName := actorName(ctx, p)
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var sets string
		args := []any{in.To, store.Millis(now), id, r.Version}
		add := func(col string, val any) {
			args = append(args, val)
			sets += fmt.Sprintf(", %s = $%d", col, len(args))
		}
		switch in.To {
		case Accepted, Declined:
			sealed, err := s.Keys.SealString(sealResponse, in.Note)
			if err != nil {
				return err
			}
			add("response", sealed)
			if in.To == Declined {
				add("closed_at", store.Millis(now))
			}
		case Delivered:
			sealed, err := s.Keys.SealString(sealDelivery, in.Note)
			if err != nil {
				return err
			}
			sp, err := s.Children.AddSupportTx(ctx, tx, r.Child.ID, children.SupportInput{Kind: r.Service, Date: on.String(),
				Provider: truncate(r.ProviderName, 200), Status: children.StatusDelivered, Note: in.Note}, byID, byName)
			if err != nil {
				return err
			}
			add("delivered_on", on.Year*10000+on.Month*100+on.Day)
			add("delivery_note", sealed)
			add("support_id", sp.ID)
		case Done:
			add("closed_at", store.Millis(now))
		}
		res, err := tx.ExecContext(ctx, `UPDATE referrals SET state = $1, updated_at = $2, version = version + 1`+sets+
			` WHERE id = $3 AND version = $4`, args...)
		if err != nil {
			return fmt.Errorf("move referral: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("referrals.version").With("version", r.Version)
		}
		detail := map[string]any{"referral": id, "provider": r.ProviderName, "from": r.State, "to": in.To}
		if in.To == Delivered {
			detail["delivered_on"] = on.ISO()
		}
		if err := s.AppendEvent(ctx, tx, r.CaseID, Event{At: now, ActorID: byID, ActorName: byName, Kind: "referral." + in.To,
			Detail: detail}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "referral." + in.To, RecordType: "referral", RecordID: idStr(id),
			Detail: fmt.Sprintf("case=%d from=%s", r.CaseID, r.State)})
	})
	if err != nil {
		return Referral{}, err
	}
	r, err = s.read(ctx, id)
	if err != nil {
		return Referral{}, err
	}
	r.CaseNumber = c.Number
	return s.present(ctx, r, a, c.Masked)
}

func truncate(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n])
	}
	return s
}

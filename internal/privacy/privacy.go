// Package privacy carries out the duties of Nghị định 13/2023/NĐ-CP on the
// protection of personal data for the records treem holds: the legal basis
// of each child's record (and the consent, where consent is the basis),
// versioned and audited; the subject-access export of everything held about
// a child; erasure by anonymisation, with who, why and when; and the
// retention rule, a durable daily job that anonymises records left inactive
// for a configured number of years.
//
// Retention is generic: an area registers a Target (what is due, how to
// erase one) and the job erases what every target says is due. The
// registry registers its children here; the cases area registers closed
// cases the same way.
package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/hotline"
	"treem/internal/jobs"
	"treem/internal/seal"
	"treem/internal/store"
)

// Legal bases of processing (Nghị định 13/2023, Điều 11 and 17).
const (
	// BasisLegalObligation: the Law on Children (2016) and Nghị định
	// 56/2017 require the commune to record children in special
	// circumstances; no consent is needed (Điều 17.1.c of Nghị định 13).
	BasisLegalObligation = "legal_obligation"
	// BasisVitalInterest: to protect the child's life or health in an
	// emergency (Điều 17.1.a).
	BasisVitalInterest = "vital_interest"
	// BasisPublicTask: a state body's task under the law (Điều 17.1.d).
	BasisPublicTask = "public_task"
	// BasisConsent: the consent of a parent or carer, and of the child
	// from seven years old (Điều 20; Luật Trẻ em Điều 33).
	BasisConsent = "consent"
)

// Bases lists the legal bases in the order forms show them.
var Bases = []string{BasisLegalObligation, BasisVitalInterest, BasisPublicTask, BasisConsent}

// Scopes are the purposes a consent may cover.
var Scopes = []string{"registry", "support", "referral", "contact", "statistics"}

// Erasure reasons.
const (
	ReasonRequest   = "request"       // the person (or their carer) asked
	ReasonPurpose   = "purpose_ended" // the purpose ended
	ReasonUnlawful  = "unlawful"      // the data should never have been processed
	ReasonRetention = "retention"     // the retention rule (the daily job)
)

// Reasons a person may give for an erasure (retention is the job's).
var Reasons = []string{ReasonRequest, ReasonPurpose, ReasonUnlawful}

const (
	sealGivenBy = "consents.given_by"
	sealNote    = "erasures.note"
)

// SealedColumns are the encrypted columns of this package.
var SealedColumns = []seal.Column{
	{Table: "consents", Key: "id", Column: "given_by", Context: sealGivenBy},
	{Table: "erasures", Key: "id", Column: "note", Context: sealNote},
}

// Target is a kind of record the retention rule applies to.
type Target struct {
	// Name is the record type ("child", "case"): erasures and the audit
	// name it.
	Name string
	// Due lists up to limit records inactive since before cutoff and not
	// yet erased.
	Due func(ctx context.Context, cutoff time.Time, limit int) ([]int64, error)
	// Erase anonymises one record inside tx, irreversibly; it returns
	// store.ErrNotFound when there is none.
	Erase func(ctx context.Context, tx *store.Tx, id int64, at time.Time) error
}

// Deps are the service's dependencies.
type Deps struct {
	DB       *store.DB
	Keys     *seal.Keyring
	Audit    *audit.Log
	Jobs     *jobs.Queue
	Children *children.Service
	Hotline  *hotline.Service // optional: contacts about a child in exports
	Log      *slog.Logger
	Now      func() time.Time
	// RetentionYears is how long an inactive record is kept before the
	// daily job anonymises it; 0 turns the rule off.
	RetentionYears int
}

// Service records consents, exports and erases personal data.
type Service struct {
	Deps
	mu      sync.Mutex
	targets []Target
}

// JobRetention is the daily retention job.
const JobRetention = "privacy.retention"

// retentionBatch is how many records a run erases per target per round.
const retentionBatch = 200

// New returns the service with the registry's children as a retention
// target, and registers the retention job's handler.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{Deps: d}
	if d.Children != nil {
		s.Register(Target{Name: "child", Due: d.Children.RetentionDue, Erase: s.eraseChild})
	}
	if d.Jobs != nil {
		d.Jobs.Handle(JobRetention, s.retentionJob)
	}
	return s
}

// Register adds a retention target (at start-up, before Schedule).
func (s *Service) Register(t Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.targets = append(s.targets, t)
}

func (s *Service) targetList() []Target {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.targets)
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// Consent is one version of a child's legal basis.
type Consent struct {
	ID         int64      `json:"id"`
	Version    int        `json:"version"`
	Basis      string     `json:"basis"`
	GivenBy    string     `json:"given_by,omitempty"`
	Relation   string     `json:"relation,omitempty"`
	GivenOn    dates.Date `json:"given_on,omitzero"`
	Scope      []string   `json:"scope"`
	Withdrawn  bool       `json:"withdrawn"`
	RecordedBy string     `json:"recorded_by"`
	RecordedAt time.Time  `json:"recorded_at"`
}

// ConsentInput records a new version of the legal basis.
type ConsentInput struct {
	Basis     string   `json:"basis"`
	GivenBy   string   `json:"given_by"`
	Relation  string   `json:"relation"`
	GivenOn   string   `json:"given_on"` // dd/mm/yyyy or yyyy-mm-dd
	Scope     []string `json:"scope"`
	Withdrawn bool     `json:"withdrawn"`
	// Version is the version this one replaces (0 for the first): a
	// change made meanwhile answers 409.
	Version int `json:"version"`
}

// child returns a child the principal may see, without auditing a read.
func (s *Service) child(ctx context.Context, by *auth.Principal, id int64) (children.Child, error) {
	c, err := s.Children.Visible(ctx, by, id)
	if err != nil {
		if errs.Is(err, 404) {
			s.Audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "child.read", RecordType: "child",
				RecordID: itoa(id), Outcome: audit.NotFound})
		}
		return c, err
	}
	return c, nil
}

// Consents returns every version of a child's legal basis, newest first.
// It is a read of the child's record, and audited as one.
func (s *Service) Consents(ctx context.Context, by *auth.Principal, childID int64) ([]Consent, error) {
	if _, err := s.child(ctx, by, childID); err != nil {
		return nil, err
	}
	out, err := s.consents(ctx, s.DB.Read(), childID)
	if err != nil {
		return nil, err
	}
	if err := s.Audit.Record(ctx, audit.Event{Action: "child.consent.read", RecordType: "child", RecordID: itoa(childID)}); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) consents(ctx context.Context, q store.Queryer, childID int64) ([]Consent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, version, basis, given_by, relation, given_on, scope, withdrawn,
		recorded_by_name, recorded_at FROM consents WHERE subject_type = 'child' AND subject_id = $1 ORDER BY version DESC`, childID)
	if err != nil {
		return nil, fmt.Errorf("consents of child %d: %w", childID, err)
	}
	defer rows.Close()
	out := []Consent{}
	for rows.Next() {
		var c Consent
		var givenBy []byte
		var givenOn int
		var scope string
		var at int64
		if err := rows.Scan(&c.ID, &c.Version, &c.Basis, &givenBy, &c.Relation, &givenOn, &scope, &c.Withdrawn,
			&c.RecordedBy, &at); err != nil {
			return nil, err
		}
		if c.GivenBy, err = s.Keys.OpenString(sealGivenBy, givenBy); err != nil {
			return nil, fmt.Errorf("consent %d: %w", c.ID, err)
		}
		if givenOn != 0 {
			c.GivenOn = dates.Date{Year: givenOn / 10000, Month: givenOn / 100 % 100, Day: givenOn % 100, Precision: dates.Day}
		}
		c.Scope = []string{}
		if scope != "" {
			c.Scope = strings.Split(scope, ",")
		}
		c.RecordedAt = store.Time(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// RecordConsent records a new version of a child's legal basis.
func (s *Service) RecordConsent(ctx context.Context, by *auth.Principal, childID int64, in ConsentInput) (Consent, error) {
	if by != nil && !by.Can(auth.PermChildWrite) {
		return Consent{}, errs.Forbidden()
	}
	if _, err := s.child(ctx, by, childID); err != nil {
		return Consent{}, err
	}
	c, err := s.checkConsent(in)
	if err != nil {
		return Consent{}, err
	}
	if at, err := s.Children.Anonymised(ctx, childID); err != nil {
		return Consent{}, err
	} else if !at.IsZero() {
		return Consent{}, errs.Conflict("privacy.anonymised")
	}
	a := audit.ActorFrom(ctx)
	c.RecordedBy, c.RecordedAt = a.Name, s.Now()
	var byID int64
	if by != nil {
		byID = by.UserID
	}
	sealed, err := s.Keys.SealString(sealGivenBy, c.GivenBy)
	if err != nil {
		return Consent{}, err
	}
	var givenOn int
	if !c.GivenOn.IsZero() {
		givenOn = c.GivenOn.Year*10000 + c.GivenOn.Month*100 + c.GivenOn.Day
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM consents
			WHERE subject_type = 'child' AND subject_id = $1`, childID).Scan(&current); err != nil {
			return err
		}
		if current != in.Version {
			return errs.Conflict("privacy.consent_changed").With("version", current)
		}
		c.Version = current + 1
		if err := tx.QueryRowContext(ctx, `INSERT INTO consents (subject_type, subject_id, version, basis, given_by,
			relation, given_on, scope, withdrawn, recorded_by, recorded_by_name, recorded_at)
			VALUES ('child', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			childID, c.Version, c.Basis, sealed, c.Relation, givenOn, strings.Join(c.Scope, ","), c.Withdrawn,
			byID, c.RecordedBy, store.Millis(c.RecordedAt)).Scan(&c.ID); err != nil {
			return fmt.Errorf("record consent of child %d: %w", childID, err)
		}
		detail := "basis=" + c.Basis + " version=" + strconv.Itoa(c.Version)
		if c.Withdrawn {
			detail += " withdrawn"
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "child.consent", RecordType: "child", RecordID: itoa(childID), Detail: detail})
	})
	if err != nil {
		return Consent{}, err
	}
	return c, nil
}

// relations a consenting person may have to the child: the registry's
// caregiver relations, and the child.
var relations = []string{"child", "father", "mother", "grandparent", "sibling", "relative", "guardian", "foster", "other"}

func (s *Service) checkConsent(in ConsentInput) (Consent, error) {
	v := errs.Validation()
	c := Consent{Basis: in.Basis, Relation: strings.TrimSpace(in.Relation), Withdrawn: in.Withdrawn, Scope: []string{}}
	c.GivenBy = strings.Join(strings.Fields(in.GivenBy), " ")
	if !slices.Contains(Bases, c.Basis) {
		v.Field("basis", "privacy.basis_unknown")
	}
	if utf8.RuneCountInString(c.GivenBy) > 200 {
		v.Field("given_by", "privacy.too_long", "max", 200)
	}
	if c.Relation != "" && !slices.Contains(relations, c.Relation) {
		v.Field("relation", "privacy.relation_unknown")
	}
	for _, sc := range in.Scope {
		if !slices.Contains(Scopes, sc) {
			v.Field("scope", "privacy.scope_unknown")
			break
		}
		if !slices.Contains(c.Scope, sc) {
			c.Scope = append(c.Scope, sc)
		}
	}
	if in.GivenOn != "" {
		d, err := dates.Parse(in.GivenOn)
		switch {
		case err != nil || d.Precision != dates.Day:
			v.Field("given_on", "privacy.date_invalid")
		case d.Time().After(s.Now()):
			v.Field("given_on", "privacy.date_future")
		default:
			c.GivenOn = d
		}
	}
	if c.Basis == BasisConsent {
		if c.GivenBy == "" {
			v.Field("given_by", "privacy.given_by_required")
		}
		if c.Relation == "" {
			v.Field("relation", "privacy.relation_required")
		}
		if in.GivenOn == "" {
			v.Field("given_on", "privacy.date_required")
		}
		if len(c.Scope) == 0 && !c.Withdrawn {
			v.Field("scope", "privacy.scope_required")
		}
	}
	if c.Withdrawn && c.Basis != BasisConsent {
		v.Field("withdrawn", "privacy.withdraw_consent_only")
	}
	return c, v.OrNil()
}

// Erasure is the record of a record's anonymisation.
type Erasure struct {
	SubjectType string    `json:"subject_type"`
	SubjectID   int64     `json:"subject_id"`
	Reason      string    `json:"reason"`
	Note        string    `json:"note,omitempty"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// ErasureOf returns the erasure of a record, or store.ErrNotFound.
func (s *Service) ErasureOf(ctx context.Context, kind string, id int64) (Erasure, error) {
	e := Erasure{SubjectType: kind, SubjectID: id}
	var note []byte
	var at int64
	err := s.DB.Read().QueryRowContext(ctx, `SELECT reason, note, by_name, at FROM erasures
		WHERE subject_type = $1 AND subject_id = $2`, kind, id).Scan(&e.Reason, &note, &e.By, &at)
	if err != nil {
		return e, store.NoRows(err)
	}
	e.At = store.Time(at)
	e.Note, err = s.Keys.OpenString(sealNote, note)
	return e, err
}

// EraseInput asks for a child's anonymisation.
type EraseInput struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
	// Confirm must be true: anonymisation cannot be undone.
	Confirm bool `json:"confirm"`
}

// AnonymiseChild erases a child's personal data, irreversibly, and records
// who did it, why and when.
func (s *Service) AnonymiseChild(ctx context.Context, by *auth.Principal, childID int64, in EraseInput) (Erasure, error) {
	if by != nil && !by.Can(auth.PermPersonalData) {
		return Erasure{}, errs.Forbidden()
	}
	if _, err := s.child(ctx, by, childID); err != nil {
		return Erasure{}, err
	}
	v := errs.Validation()
	in.Note = strings.TrimSpace(in.Note)
	if !slices.Contains(Reasons, in.Reason) {
		v.Field("reason", "privacy.reason_unknown")
	}
	if utf8.RuneCountInString(in.Note) > 2000 {
		v.Field("note", "privacy.too_long", "max", 2000)
	}
	if !in.Confirm {
		v.Field("confirm", "privacy.confirm_required")
	}
	if err := v.OrNil(); err != nil {
		return Erasure{}, err
	}
	return s.erase(ctx, "child", childID, in.Reason, in.Note, s.eraseChild)
}

// eraseChild is the registry's Erase: the child's row and the names of
// those who consented for it.
func (s *Service) eraseChild(ctx context.Context, tx *store.Tx, id int64, at time.Time) error {
	a := audit.ActorFrom(ctx)
	ids, err := s.Children.Anonymise(ctx, tx, id, a.ID, a.Name, at)
	if errors.Is(err, children.ErrAnonymised) {
		return errs.Conflict("privacy.anonymised")
	}
	if err != nil {
		return err
	}
	for _, cid := range ids {
		if s.Hotline != nil {
			if err := s.Hotline.ForgetChild(ctx, tx, cid); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE consents SET given_by = NULL WHERE subject_type = 'child' AND subject_id = $1", cid); err != nil {
			return err
		}
	}
	return nil
}

// erase runs a target's Erase and records the erasure and its audit entry
// in the same transaction.
func (s *Service) erase(ctx context.Context, kind string, id int64, reason, note string,
	fn func(context.Context, *store.Tx, int64, time.Time) error) (Erasure, error) {
	a := audit.ActorFrom(ctx)
	e := Erasure{SubjectType: kind, SubjectID: id, Reason: reason, Note: note, By: a.Name, At: s.Now()}
	sealed, err := s.Keys.SealString(sealNote, note)
	if err != nil {
		return e, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM erasures WHERE subject_type = $1 AND subject_id = $2",
			kind, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.Conflict("privacy.anonymised")
		}
		if err := fn(ctx, tx, id, e.At); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO erasures (subject_type, subject_id, reason, note, by_id, by_name, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, kind, id, reason, sealed, a.ID, a.Name, store.Millis(e.At)); err != nil {
			return fmt.Errorf("record erasure of %s %d: %w", kind, id, err)
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "personal_data.erase", RecordType: kind, RecordID: itoa(id),
			Detail: "reason=" + reason})
	})
	if errors.Is(err, store.ErrNotFound) {
		return e, errs.NotFound(kind)
	}
	return e, err
}

package children

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/store"
)

// AnonymisedName replaces the name of an anonymised child: the row stays
// (indicators count it), the person is gone.
const AnonymisedName = "Ẩn danh"

// Anonymised reports when a child's personal data were erased (zero if
// they were not).
func (s *Service) Anonymised(ctx context.Context, id int64) (time.Time, error) {
	var at int64
	err := s.DB.Read().QueryRowContext(ctx, "SELECT anonymised_at FROM children WHERE id = $1", id).Scan(&at)
	if err != nil {
		return time.Time{}, store.NoRows(err)
	}
	if at == 0 {
		return time.Time{}, nil
	}
	return store.Time(at), nil
}

// Anonymise erases a child's personal data inside tx, irreversibly: name,
// identification number, address, phones, insurance card, notes,
// caregivers' names and phones, the day and month of birth, the values
// kept in its history and the notes of its supports (the hotline's
// mentions of the child are hotline.ForgetChild's). It keeps what statistics need: birth year,
// sex, ethnicity, commune and province, groups, risks, disability, school
// status, supports (kind, date, amount). The caller checks the right to do
// it and writes the audit entry; the history of the child says
// "anonymise". Duplicates merged into the child are anonymised with it.
// It returns the ids anonymised (the child's first), store.ErrNotFound
// for no such child and ErrAnonymised when it was already done.
func (s *Service) Anonymise(ctx context.Context, tx *store.Tx, id, byID int64, byName string, at time.Time) ([]int64, error) {
	c, err := s.load(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	var done int64
	if err := tx.QueryRowContext(ctx, "SELECT anonymised_at FROM children WHERE id = $1", id).Scan(&done); err != nil {
		return nil, err
	}
	if done != 0 {
		return nil, ErrAnonymised
	}
	if err := s.anonymise(ctx, tx, c, byID, byName, at); err != nil {
		return nil, err
	}
	ids := []int64{id}
	// Duplicates merged into the child are records of the same person.
	for _, m := range c.Merged {
		d, err := s.load(ctx, tx, m)
		if err != nil {
			return nil, err
		}
		var dDone int64
		if err := tx.QueryRowContext(ctx, "SELECT anonymised_at FROM children WHERE id = $1", m).Scan(&dDone); err != nil {
			return nil, err
		}
		if dDone != 0 {
			continue
		}
		if err := s.anonymise(ctx, tx, d, byID, byName, at); err != nil {
			return nil, err
		}
		ids = append(ids, m)
	}
	return ids, nil
}

func (s *Service) anonymise(ctx context.Context, tx *store.Tx, c Child, byID int64, byName string, at time.Time) error {
	id := c.ID
	a := c
	a.Name, a.PID, a.Address, a.Phone, a.InsuranceCard, a.Notes = AnonymisedName, "", "", "", "", ""
	if !c.DOB.IsZero() {
		a.DOB = dates.Date{Year: c.DOB.Year, Precision: dates.Year, Estimated: true}
	}
	a.Caregivers = make([]Caregiver, len(c.Caregivers))
	for i, cg := range c.Caregivers {
		a.Caregivers[i] = Caregiver{Relation: cg.Relation}
	}
	if err := s.update(ctx, tx, c, a, c.Version, byID, byName, at); err != nil {
		return fmt.Errorf("anonymise child %d: %w", id, err)
	}
	ms := store.Millis(at)
	for _, q := range []string{
		"UPDATE children SET anonymised_at = $2, source_fp = NULL, dob_estimated = TRUE WHERE id = $1",
		"UPDATE child_history SET changes = NULL WHERE child_id = $1",
		"UPDATE supports SET note = NULL WHERE child_id = $1 OR origin_child_id = $1",
	} {
		args := []any{id}
		if strings.Contains(q, "$2") {
			args = append(args, ms)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("anonymise child %d: %w", id, err)
		}
	}
	fields := []string{"name", "pid", "address", "phone", "insurance_card", "notes", "caregivers", "dob"}
	if err := s.addHistory(ctx, tx, id, c.Version+1, "anonymise", fields, nil, byID, byName, at); err != nil {
		return err
	}
	a.Version = c.Version + 1
	rec := s.record(a)
	tx.After(func() {
		if a.MergedInto == 0 {
			s.Index.Upsert(rec)
		}
	})
	return nil
}

// ErrAnonymised says a child's personal data were already erased.
var ErrAnonymised = errors.New("child already anonymised")

// RetentionDue lists up to limit children due for anonymisation under the
// retention rule: not anonymised, unchanged since before cutoff, and
// either in no special-circumstance group any more or born before adult
// (18 years before today). Oldest first.
func (s *Service) RetentionDue(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
	today := s.today()
	adult := (today.Year-18)*10000 + today.Month*100 + today.Day
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id FROM children
		WHERE anonymised_at = 0 AND updated_at < $1 AND (groups_mask = 0 OR (dob_on > 0 AND dob_on < $2))
		ORDER BY updated_at, id LIMIT $3`, store.Millis(cutoff), adult, limit)
	if err != nil {
		return nil, fmt.Errorf("retention due: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Subject is everything the registry holds about a child, for a
// subject-access request: the record, every version of it with the values
// changed, its supports. The read is audited as an export by the caller.
type Subject struct {
	Child    Child     `json:"child"`
	History  []Event   `json:"history"`
	Supports []Support `json:"supports"`
}

// SubjectData gathers what the registry holds about child id, without
// checking scope (the caller does, with Get).
func (s *Service) SubjectData(ctx context.Context, c Child) (Subject, error) {
	ev, err := s.Timeline(ctx, nil, c)
	if err != nil {
		return Subject{}, err
	}
	sups, err := s.Supports(ctx, c.ID)
	if err != nil {
		return Subject{}, err
	}
	return Subject{Child: c, History: orEmpty(ev), Supports: orEmpty(sups)}, nil
}

// Visible returns a child the principal may see without auditing a read,
// for callers that audit their own action (an export, an erasure). Outside
// the scope it answers like an absent child.
func (s *Service) Visible(ctx context.Context, by *auth.Principal, id int64) (Child, error) {
	return s.visible(ctx, by, id)
}

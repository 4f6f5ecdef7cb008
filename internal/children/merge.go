package children

import (
	"context"
	"fmt"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// Merge records that duplicate is the same child as survivor: the
// duplicate's supports and groups move to the survivor (each remembering
// where it was recorded), the duplicate stays, read-only, pointing at the
// survivor, and both histories are kept. An administrator can undo it
// (Unmerge). Children already merged into the duplicate now point at the
// survivor.
func (s *Service) Merge(ctx context.Context, by *auth.Principal, survivorID, duplicateID int64) (Child, error) {
	if !can(by, auth.PermChildMerge) {
		return Child{}, errs.Forbidden()
	}
	if survivorID == duplicateID {
		return Child{}, errs.Validation().Field("duplicate", "children.merge_self")
	}
	surv, err := s.visible(ctx, by, survivorID)
	if err != nil {
		return Child{}, err
	}
	dup, err := s.visible(ctx, by, duplicateID)
	if err != nil {
		return Child{}, errs.Validation().Field("duplicate", "children.merge_unknown", "id", duplicateID)
	}
	if surv.MergedInto != 0 || dup.MergedInto != 0 {
		return Child{}, errs.Conflict("children.merge_merged")
	}
	byID, byName := actor(ctx, by)
	now := s.Now()
	at := store.Millis(now)
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE children SET merged_into = $1, version = version + 1, updated_at = $2,
			updated_by = $3 WHERE id = $4 AND merged_into IS NULL`, survivorID, at, byID, duplicateID)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("children.merge_merged")
		}
		moves := []struct {
			q    string
			args []any
		}{
			{`UPDATE children SET merged_into = $1, version = version + 1, updated_at = $2 WHERE merged_into = $3`,
				[]any{survivorID, at, duplicateID}},
			{`UPDATE supports SET child_id = $1 WHERE child_id = $2`, []any{survivorID, duplicateID}},
			{`UPDATE child_groups SET child_id = $1 WHERE child_id = $2`, []any{survivorID, duplicateID}},
		}
		for _, m := range moves {
			if _, err := tx.ExecContext(ctx, m.q, m.args...); err != nil {
				return fmt.Errorf("merge: %w", err)
			}
		}
		if err := s.touch(ctx, tx, survivorID, byID, at); err != nil {
			return err
		}
		if err := factsChanged(ctx, tx, at, survivorID, duplicateID); err != nil {
			return err
		}
		if err := s.addHistory(ctx, tx, survivorID, surv.Version+1, "merge", []string{"duplicate=" + idStr(duplicateID)}, nil, byID, byName, now); err != nil {
			return err
		}
		if err := s.addHistory(ctx, tx, duplicateID, dup.Version+1, "merged", []string{"into=" + idStr(survivorID)}, nil, byID, byName, now); err != nil {
			return err
		}
		if err := s.Audit.Append(ctx, tx, audit.Event{Action: "child.merged", RecordType: "child", RecordID: idStr(duplicateID),
			Detail: "into=" + idStr(survivorID)}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "child.merge", RecordType: "child", RecordID: idStr(survivorID),
			Detail: "duplicate=" + idStr(duplicateID)})
	})
	if err != nil {
		return Child{}, err
	}
	s.Index.Delete(duplicateID)
	out, err := s.load(ctx, s.DB.Read(), survivorID)
	if err == nil {
		s.Index.Upsert(s.record(out))
	}
	return out, err
}

// Unmerge undoes a merge: the duplicate is a record of its own again and
// takes back the supports and groups recorded on it.
func (s *Service) Unmerge(ctx context.Context, by *auth.Principal, duplicateID int64) (Child, error) {
	if !can(by, auth.PermChildUnmerge) {
		return Child{}, errs.Forbidden()
	}
	dup, err := s.visible(ctx, by, duplicateID)
	if err != nil {
		return Child{}, err
	}
	if dup.MergedInto == 0 {
		return Child{}, errs.Conflict("children.not_merged")
	}
	survivorID := dup.MergedInto
	byID, byName := actor(ctx, by)
	now := s.Now()
	at := store.Millis(now)
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE children SET merged_into = NULL, version = version + 1, updated_at = $1,
			updated_by = $2 WHERE id = $3 AND merged_into = $4`, at, byID, duplicateID, survivorID)
		if err != nil {
			return fmt.Errorf("unmerge: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("children.not_merged")
		}
		for _, q := range []string{
			`UPDATE supports SET child_id = $1 WHERE origin_child_id = $1 AND child_id = $2`,
			`UPDATE child_groups SET child_id = $1 WHERE origin_child_id = $1 AND child_id = $2`,
		} {
			if _, err := tx.ExecContext(ctx, q, duplicateID, survivorID); err != nil {
				return fmt.Errorf("unmerge: %w", err)
			}
		}
		for _, id := range []int64{duplicateID, survivorID} {
			if err := s.touch(ctx, tx, id, byID, at); err != nil {
				return err
			}
		}
		if err := factsChanged(ctx, tx, at, duplicateID, survivorID); err != nil {
			return err
		}
		var sv int
		if err := tx.QueryRowContext(ctx, "SELECT version FROM children WHERE id = $1", survivorID).Scan(&sv); err != nil {
			return err
		}
		if err := s.addHistory(ctx, tx, survivorID, sv, "unmerge", []string{"duplicate=" + idStr(duplicateID)}, nil, byID, byName, now); err != nil {
			return err
		}
		if err := s.addHistory(ctx, tx, duplicateID, dup.Version+2, "unmerge", []string{"into=" + idStr(survivorID)}, nil, byID, byName, now); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "child.unmerge", RecordType: "child", RecordID: idStr(duplicateID),
			Detail: "from=" + idStr(survivorID)})
	})
	if err != nil {
		return Child{}, err
	}
	for _, id := range []int64{survivorID, duplicateID} {
		if c, err := s.load(ctx, s.DB.Read(), id); err == nil {
			s.Index.Upsert(s.record(c))
		}
	}
	return s.load(ctx, s.DB.Read(), duplicateID)
}

// touch recomputes a child's groups mask from its periods and raises its
// version.
func (s *Service) touch(ctx context.Context, tx *store.Tx, id, by, at int64) error {
	periods, err := s.loadPeriods(ctx, tx, []int64{id})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE children SET groups_mask = $1, version = version + 1, updated_at = $2, updated_by = $3
		WHERE id = $4`, int64(groupsMask(periods, s.today())), at, by, id)
	return err
}

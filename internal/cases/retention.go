package cases

import (
	"context"
	"fmt"
	"time"

	"treem/internal/store"
)

// RetentionDue lists up to limit closed cases closed before cutoff whose
// personal content has not been erased yet: the retention rule's work
// (package privacy).
func (s *Service) RetentionDue(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id FROM cases
		WHERE step = 'closed' AND anonymised_at IS NULL AND closed_at < $1 ORDER BY closed_at, id LIMIT $2`,
		store.Millis(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("cases due for retention: %w", err)
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

// EraseTx erases a closed case's personal content inside tx, irreversibly:
// the summary, the alleged perpetrator, the reports' and incidents'
// details, assessments, emergency measures, plans, approvals, reviews,
// break-glass reasons and the timeline's sealed details. What the
// indicators count stays: the case's number, unit, dates, steps, risk,
// source, forms of abuse and its children's registry links (a registry
// child is erased by its own rule). Referrals and attachments belong to
// their packages, which erase their part in the same transaction.
func EraseTx(ctx context.Context, tx *store.Tx, id int64, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE cases SET summary = NULL, perpetrator = NULL, anonymised_at = $2,
		version = version + 1, updated_at = $2 WHERE id = $1 AND step = 'closed'`, id, store.Millis(at))
	if err != nil {
		return fmt.Errorf("erase case %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	for _, q := range []string{
		`UPDATE case_reports SET data = NULL WHERE case_id = $1`,
		`UPDATE case_incidents SET data = NULL WHERE case_id = $1`,
		`UPDATE case_assessments SET data = NULL WHERE case_id = $1`,
		`UPDATE case_emergencies SET data = NULL WHERE case_id = $1`,
		`UPDATE case_plans SET data = NULL, decision = NULL WHERE case_id = $1`,
		`UPDATE case_reviews SET data = NULL WHERE case_id = $1`,
		`UPDATE case_access SET reason = NULL WHERE case_id = $1`,
		`UPDATE case_events SET secret = NULL WHERE case_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("erase case %d: %w", id, err)
		}
	}
	return nil
}

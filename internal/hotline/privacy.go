package hotline

import (
	"context"
	"fmt"
)

// AboutChild returns the contacts that name a registry child, oldest
// first, for a subject-access request. It checks no scope and audits
// nothing: the caller (internal/privacy) has checked its right to the
// child and audits the export.
func (s *Service) AboutChild(ctx context.Context, childID int64) ([]*Contact, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT DISTINCT contact_id FROM contact_children
		WHERE child_id = $1 ORDER BY contact_id`, childID)
	if err != nil {
		return nil, fmt.Errorf("contacts about child %d: %w", childID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Contact, 0, len(ids))
	for _, id := range ids {
		c, err := s.load(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("contact %d about child %d: %w", id, childID, err)
		}
		out = append(out, c)
	}
	return out, nil
}

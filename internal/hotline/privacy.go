package hotline

import (
	"context"
	"fmt"

	"treem/internal/store"
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

// ForgetChild erases, inside tx, the name under which contacts named a
// registry child that is being anonymised, and the search words that name
// gave them (words the caller's or another child's name also gives stay).
func (s *Service) ForgetChild(ctx context.Context, tx *store.Tx, childID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT contact_id FROM contact_children WHERE child_id = $1`, childID)
	if err != nil {
		return fmt.Errorf("forget child %d: %w", childID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		c, err := s.loadQ(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("forget child %d in contact %d: %w", childID, id, err)
		}
		keep := map[string]bool{}
		for _, w := range NameTokens(c.Caller.Name) {
			keep[w] = true
		}
		var drop []string
		for _, ch := range c.Children {
			if ch.ChildID == nil || *ch.ChildID != childID {
				for _, w := range NameTokens(ch.Name) {
					keep[w] = true
				}
			}
		}
		for _, ch := range c.Children {
			if ch.ChildID != nil && *ch.ChildID == childID {
				for _, w := range NameTokens(ch.Name) {
					if !keep[w] {
						drop = append(drop, w)
					}
				}
			}
		}
		for _, w := range drop {
			if _, err := tx.ExecContext(ctx, `DELETE FROM contact_words WHERE contact_id = $1 AND word = $2`, id, w); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contact_children SET name = '' WHERE contact_id = $1 AND child_id = $2`, id, childID); err != nil {
			return err
		}
	}
	return nil
}

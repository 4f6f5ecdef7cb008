package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Recipient is an active account as notifications see it: where to write
// and in which language.
type Recipient struct {
	ID       int64
	Username string
	Email    string
	Lang     string
	Role     Role
	Unit     string
}

// Recipients returns the active accounts among ids (inactive and unknown
// ones are left out).
func (s *Service) Recipients(ctx context.Context, ids []int64) ([]Recipient, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	return s.recipients(ctx, `SELECT id, username, email, lang, role, unit_code FROM users WHERE active = TRUE AND id IN (`+
		strings.Join(ph, ", ")+`) ORDER BY id`, args...)
}

// RecipientsByRole returns the active accounts of role in unit (a commune
// or province code).
func (s *Service) RecipientsByRole(ctx context.Context, role Role, unit string) ([]Recipient, error) {
	return s.recipients(ctx, `SELECT id, username, email, lang, role, unit_code FROM users WHERE active = TRUE AND role = $1
		AND unit_code = $2 ORDER BY id`, string(role), unit)
}

// RecipientsOfRoles returns every active account of the roles, in one
// query: for work that notifies many units at once (the deadline scanner).
func (s *Service) RecipientsOfRoles(ctx context.Context, roles ...Role) ([]Recipient, error) {
	args := make([]any, len(roles))
	ph := make([]string, len(roles))
	for i, r := range roles {
		args[i] = string(r)
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	return s.recipients(ctx, `SELECT id, username, email, lang, role, unit_code FROM users WHERE active = TRUE AND role IN (`+
		strings.Join(ph, ", ")+`) ORDER BY id`, args...)
}

func (s *Service) recipients(ctx context.Context, q string, args ...any) ([]Recipient, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		var role string
		if err := rows.Scan(&r.ID, &r.Username, &r.Email, &r.Lang, &role, &r.Unit); err != nil {
			return nil, err
		}
		r.Role = Role(role)
		out = append(out, r)
	}
	return out, rows.Err()
}

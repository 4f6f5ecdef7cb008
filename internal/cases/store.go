package cases

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"treem/internal/store"
)

const caseCols = `id, number, commune, province, step, step_at, risk, source, summary, abuse_forms, assigned_to,
	confidential, perpetrator, transfer_to, transfer_from, close_reason, version, received_at, created_at, created_by,
	updated_at, closed_at`

type scanner interface{ Scan(...any) error }

func scanCase(row scanner) (*Case, error) {
	var c Case
	var stepAt, received, created, updated int64
	var assigned, closed sql.NullInt64
	var forms string
	var conf int
	err := row.Scan(&c.ID, &c.Number, &c.Commune, &c.Province, &c.Step, &stepAt, &c.Risk, &c.Source, &c.summary,
		&forms, &assigned, &conf, &c.perpetrator, &c.TransferTo, &c.TransferFrom, &c.CloseReason, &c.Version,
		&received, &created, &c.createdBy, &updated, &closed)
	if err != nil {
		return nil, store.NoRows(err)
	}
	c.AbuseForms = splitList(forms)
	c.AssignedTo = assigned.Int64
	c.Confidential = conf != 0
	c.StepAt, c.ReceivedAt, c.CreatedAt, c.UpdatedAt = store.Time(stepAt), store.Time(received), store.Time(created), store.Time(updated)
	if closed.Valid {
		c.ClosedAt = store.Time(closed.Int64)
	}
	return &c, nil
}

// load reads a case with its children and workers.
func (s *Service) load(ctx context.Context, q store.Queryer, id int64) (*Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, "SELECT "+caseCols+" FROM cases WHERE id = $1", id))
	if err != nil {
		return nil, err
	}
	if c.Children, err = ids(ctx, q, `SELECT child_id FROM case_children WHERE case_id = $1 ORDER BY child_id`, id); err != nil {
		return nil, err
	}
	if c.Workers, err = ids(ctx, q, `SELECT user_id FROM case_workers WHERE case_id = $1 ORDER BY user_id`, id); err != nil {
		return nil, err
	}
	return c, nil
}

func ids(ctx context.Context, q store.Queryer, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("case ids: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

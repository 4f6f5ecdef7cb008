package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"treem/internal/auth"
	"treem/internal/store"
)

// Entry is an entry of a case's timeline.
type Entry struct {
	ID        int64          `json:"id"`
	At        time.Time      `json:"at"`
	ActorID   int64          `json:"actor_id,omitempty"`
	ActorName string         `json:"actor"`
	Kind      string         `json:"kind"`
	Detail    map[string]any `json:"detail"`
	Text      map[string]any `json:"text,omitempty"` // the sealed free text, for those who may read it
	Version   int            `json:"version,omitempty"`
}

// events reads a case's timeline; with after set, only the entries made
// by versions after since (for a stale writer).
func (s *Service) events(ctx context.Context, q store.Queryer, caseID int64, since int, after bool) ([]Entry, error) {
	query := `SELECT id, at, actor_id, actor_name, kind, detail, secret, version FROM case_events WHERE case_id = $1`
	args := []any{caseID}
	if after {
		query += ` AND version > $2`
		args = append(args, since)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at int64
		var actorID sql.NullInt64
		var detail string
		var secret []byte
		if err := rows.Scan(&e.ID, &at, &actorID, &e.ActorName, &e.Kind, &detail, &secret, &e.Version); err != nil {
			return nil, err
		}
		e.At, e.ActorID = store.Time(at), actorID.Int64
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil || e.Detail == nil {
			e.Detail = map[string]any{}
		}
		if len(secret) > 0 {
			if err := s.openJSON(sealEvent, secret, &e.Text); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Timeline is everything that happened on a case, oldest first. Free text
// is left out when the caller reads the case masked.
func (s *Service) Timeline(ctx context.Context, p *auth.Principal, c *Case) ([]Entry, error) {
	evs, err := s.events(ctx, s.DB.Read(), c.ID, 0, false)
	if err != nil {
		return nil, err
	}
	if c.Masked {
		for i := range evs {
			evs[i].Text = nil
		}
	}
	return evs, nil
}

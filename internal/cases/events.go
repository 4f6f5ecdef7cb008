package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"treem/internal/store"
)

// Event is an entry of a case's timeline. Detail holds no personal data
// (ids, codes, counts): it is stored in clear. Free text goes through the
// service, which seals it.
type Event struct {
	At        time.Time
	ActorID   int64
	ActorName string
	Kind      string // e.g. "step", "note", "assessment", "plan", "referral.requested", "reminder.sent"
	Detail    map[string]any
}

// AppendEvent adds an entry to a case's timeline, in the caller's
// transaction. Other areas (referrals, documents, attachments, reminders)
// use it so that the case page shows everything in one place.
func AppendEvent(ctx context.Context, tx *store.Tx, caseID int64, e Event) error {
	return appendEvent(ctx, tx, caseID, e, nil, 0)
}

func appendEvent(ctx context.Context, tx *store.Tx, caseID int64, e Event, secret []byte, version int) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("case event detail: %w", err)
		}
	}
	var actor any
	if e.ActorID != 0 {
		actor = e.ActorID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO case_events (case_id, at, actor_id, actor_name, kind, detail, secret, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		caseID, store.Millis(e.At), actor, e.ActorName, e.Kind, string(detail), secret, version)
	if err != nil {
		return fmt.Errorf("append case event: %w", err)
	}
	return nil
}

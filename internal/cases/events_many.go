package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"treem/internal/store"
)

// CaseEvent is an Event of a given case, for AppendEvents.
type CaseEvent struct {
	CaseID int64
	Event
}

// AppendEvents adds timeline entries to many cases at once, in the
// caller's transaction and in multi-row statements: for background work
// that touches hundreds of cases in one pass (the deadline scanner).
func AppendEvents(ctx context.Context, tx *store.Tx, evs []CaseEvent) error {
	// SQLite looks $N parameters up in a list (quadratic in their number):
	// small statements there; PostgreSQL pays a round trip per statement.
	chunk := 50
	if tx.Engine() == store.Postgres {
		chunk = 500
	}
	for start := 0; start < len(evs); start += chunk {
		part := evs[start:min(start+chunk, len(evs))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO case_events (case_id, at, actor_id, actor_name, kind, detail, version) VALUES `)
		args := make([]any, 0, len(part)*6)
		for i, e := range part {
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
			if i > 0 {
				sb.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, 0)", n+1, n+2, n+3, n+4, n+5, n+6)
			args = append(args, e.CaseID, store.Millis(e.At), actor, e.ActorName, e.Kind, string(detail))
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("append %d case events: %w", len(part), err)
		}
	}
	return nil
}

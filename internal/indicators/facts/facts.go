// Package facts is the small interface between the record areas (registry,
// hotline, cases, returns) and the indicator engine.
//
// An area describes each of its records (an entity: a child, a contact, a
// case) as a few facts: something countable that holds on a date or over a
// span of dates, in an administrative unit, with the values it can be
// broken down by. The engine never reads an area's tables; the area's
// Source does, with SQL that lives in the area's package.
//
// Changes reach the engine through one change feed: in the same transaction
// as any change to an entity, the area calls Touch(ctx, tx, source, key).
// Every instance polls the feed (the table indicator_changes) and asks the
// source for the entity's facts again, so the feed carries no values and
// replaying it is harmless.
package facts

import (
	"context"
	"fmt"
	"strings"

	"treem/internal/store"
)

// Open is the Until of a span that still holds (a child still in a group).
const Open int32 = 99991231

// Fact is one countable thing. Dates are yyyymmdd in Vietnam's time zone;
// a partial date has 00 for what is unknown.
type Fact struct {
	Kind string // "csc", "helped", "contact", "case", "emergency", "return.forums_held", …

	// Unit is where the fact is counted: a current commune (5 digits), a
	// current province (2 digits) or "" for unknown. With Old set it is a
	// code from before 1 July 2025 (commune, province or island district),
	// mapped to today's units by the engine (geo.ResolveOld).
	Unit string
	Old  bool

	On    int32 // the date, or the first day of a span (0: since ever)
	Until int32 // the last day of a span (Open while it holds); equal to On for an event
	Value int64 // 1 for a count; an amount (VND, minutes) for a sum

	Sex  string // "male", "female" or "" unknown
	Born int32  // date of birth yyyymmdd (0 unknown): age groups are computed per period

	// Attrs are the values the fact can be broken down by, beyond sex and
	// age: {"group","a"}, {"form","bao_luc"}, {"channel","zalo"}… A dimension
	// may repeat (a case of violence and sexual abuse has two forms).
	Attrs []Attr
}

// Attr is a disaggregation value of a fact.
type Attr struct {
	Dim   string
	Value string
}

// Entity is a record as the engine sees it: its key in the source and its
// facts now. An entity with no facts is gone (deleted, merged, no longer
// counted).
type Entity struct {
	Key   int64
	Facts []Fact
}

// Source gives the engine an area's facts.
type Source interface {
	// Name is the source's name in the change feed: "children", "hotline", …
	Name() string
	// Load streams every entity with its facts, for the initial build.
	Load(ctx context.Context, q store.Queryer, each func(Entity) error) error
	// Get returns the current facts of the entities with the given keys; a
	// key with no entity comes back with no facts (or not at all).
	Get(ctx context.Context, q store.Queryer, keys []int64) ([]Entity, error)
}

// Checker is what the verifier needs from a source: for each measure the
// source counts, one plain SQL query over the area's own tables. The query
// takes $1 and $2, the first and last day of the period (yyyymmdd), and
// returns rows (unit TEXT, old BOOLEAN, value BIGINT) grouped by the unit
// the facts carry — with GROUP BY, nothing else. ok is false for a measure
// the source does not count.
type Checker interface {
	CheckSQL(measure string) (query string, ok bool)
}

const touchSQL = `INSERT INTO indicator_changes (source, entity, at) VALUES ($1, $2, $3)`

// Touch records in tx that the facts of an entity may have changed. Call it
// in the transaction of the change; the indicators pick it up within a
// second (on every instance).
func Touch(ctx context.Context, tx *store.Tx, source string, key int64, atMillis int64) error {
	if _, err := tx.ExecContext(ctx, touchSQL, source, key, atMillis); err != nil {
		return fmt.Errorf("touch %s %d: %w", source, key, err)
	}
	return nil
}

// TouchMany is Touch for several entities of one source, in one statement
// per 500 keys (imports and bulk loads).
func TouchMany(ctx context.Context, tx *store.Tx, source string, keys []int64, atMillis int64) error {
	for len(keys) > 0 {
		n := min(len(keys), 500)
		var b strings.Builder
		b.WriteString("INSERT INTO indicator_changes (source, entity, at) VALUES ")
		args := make([]any, 0, 2*n+1)
		args = append(args, source, atMillis)
		for i, k := range keys[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, k)
			fmt.Fprintf(&b, "($1, $%d, $2)", len(args))
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("touch %s (%d): %w", source, n, err)
		}
		keys = keys[n:]
	}
	return nil
}

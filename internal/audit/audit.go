// Package audit keeps the append-only, hash-chained log of who read,
// changed or exported what.
//
// Each entry stores the hash of the entry before it and a keyed hash (HMAC
// with the audit key from the key file) over its own content and that
// previous hash. Changing, removing or inserting an entry breaks the chain
// from that point, and without the key nobody can forge a new chain over a
// changed history. Verify walks the chain and names the first break.
//
// Writers spread over a few independent chains ("lanes", one on SQLite) so
// that several instances on PostgreSQL do not queue behind one lock; each
// chain is verified on its own.
//
// Entries never hold personal data: who acted, on which record (type and
// id), what action, the outcome and a short detail such as the names of the
// fields changed.
package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"treem/internal/store"
)

// Outcomes of an audited action.
const (
	OK       = "ok"
	Denied   = "denied"    // the role may not (403)
	NotFound = "not_found" // outside the caller's scope, or absent (404)
	Failed   = "failed"
)

// Actor is who acts, with where from. Middleware puts it in the request's
// context; background work uses System.
type Actor struct {
	ID     int64
	Name   string
	Role   string
	Unit   string
	Client string
}

// System is the actor of work nobody asked for in a request (jobs, start-up).
var System = Actor{Name: "system", Role: "system"}

type actorKey struct{}

// WithActor stores the actor in ctx.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Event is what a caller records; the actor comes from the context.
type Event struct {
	Action     string // "child.read", "child.update", "children.export", …
	RecordType string // "child", "contact", "case", "user", …
	RecordID   string
	Outcome    string // OK when empty
	Detail     string // no personal data
}

// Entry is a stored event.
type Entry struct {
	ID         int64     `json:"id"`
	Chain      int       `json:"chain"`
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    int64     `json:"actor_id"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	Unit       string    `json:"unit"`
	Action     string    `json:"action"`
	RecordType string    `json:"record_type"`
	RecordID   string    `json:"record_id"`
	Client     string    `json:"client"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail"`
	PrevHash   []byte    `json:"-"`
	Hash       []byte    `json:"-"`
}

// Log appends to and reads the audit log.
type Log struct {
	db  *store.DB
	mac func([]byte) []byte
	now func() time.Time

	mu      sync.Mutex
	queue   []*waiter // events recorded, not yet in a batch
	writing bool      // a batch is being written; its writer hands on to the next
}

// New returns a Log. mac is the keyed hash (seal.Keyring.AuditMAC).
func New(db *store.DB, mac func([]byte) []byte, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: db, mac: mac, now: now}
}

var genesis = make([]byte, 32)

// Append writes an event inside tx, so that it commits or rolls back with
// the change it describes. Call it late in the transaction: on PostgreSQL
// it holds its chain's lock until commit.
func (l *Log) Append(ctx context.Context, tx *store.Tx, ev Event) error {
	e, err := entryOf(ActorFrom(ctx), ev)
	if err != nil {
		return err
	}
	return l.append(ctx, tx, []*Entry{&e})
}

// entryOf is the entry of an event by a, without its place in a chain.
func entryOf(a Actor, ev Event) (Entry, error) {
	if ev.Outcome == "" {
		ev.Outcome = OK
	}
	if ev.Action == "" || ev.RecordType == "" {
		return Entry{}, errors.New("audit: event needs an action and a record type")
	}
	return Entry{ActorID: a.ID, Actor: a.Name, Role: a.Role, Unit: a.Unit, Client: a.Client,
		Action: ev.Action, RecordType: ev.RecordType, RecordID: ev.RecordID, Outcome: ev.Outcome, Detail: ev.Detail}, nil
}

// append chains entries, in order, onto tx's lane: the head moves once for
// all of them.
func (l *Log) append(ctx context.Context, tx *store.Tx, entries []*Entry) error {
	chain, n := tx.Lane(), int64(len(entries))
	var seq int64
	var prev []byte
	// The UPDATE takes the chain's row lock on PostgreSQL; the hash it
	// returns is still the previous entry's.
	err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + $1 WHERE chain = $2 RETURNING seq, hash`, n, chain).Scan(&seq, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING`, chain, genesis); err != nil {
			return fmt.Errorf("audit: start chain %d: %w", chain, err)
		}
		err = tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + $1 WHERE chain = $2 RETURNING seq, hash`, n, chain).Scan(&seq, &prev)
	}
	if err != nil {
		return fmt.Errorf("audit: advance chain %d: %w", chain, err)
	}
	at := l.now().UTC().Truncate(time.Millisecond)
	for i, e := range entries {
		e.Chain, e.Seq, e.At, e.PrevHash = chain, seq-n+1+int64(i), at, prev
		e.Hash = l.mac(e.content())
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (chain, seq, at, actor_id, actor, role, unit, action,
		record_type, record_id, client_addr, outcome, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			e.Chain, e.Seq, store.Millis(e.At), e.ActorID, e.Actor, e.Role, e.Unit, e.Action,
			e.RecordType, e.RecordID, e.Client, e.Outcome, e.Detail, e.PrevHash, e.Hash); err != nil {
			return fmt.Errorf("audit: append %s: %w", e.Action, err)
		}
		prev = e.Hash
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = $1 WHERE chain = $2`, prev, chain); err != nil {
		return fmt.Errorf("audit: move head: %w", err)
	}
	return nil
}

// Record appends an event in a transaction of its own: for reads, exports
// and refusals, which change nothing else. It returns once the entry is
// durably committed (or has failed).
//
// Entries recorded at the same moment share a transaction and one move of
// their chain's head (group commit): while one batch is written, the next
// gathers, and whoever wrote a batch hands the next to one of its callers.
// Every read of a record costs an entry, and an entry a transaction of its
// own took five statements and, on PostgreSQL, a lock on its chain and a
// commit each.
func (l *Log) Record(ctx context.Context, ev Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := entryOf(ActorFrom(ctx), ev)
	if err != nil {
		return err
	}
	w := &waiter{e: e, res: make(chan recorded, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, w)
	first := !l.writing
	l.writing = true
	l.mu.Unlock()
	if first {
		l.writeBatch(ctx)
	}
	for {
		r := <-w.res
		if !r.next {
			return r.err
		}
		l.writeBatch(ctx) // handed on: w is in this batch
	}
}

// waiter is an event waiting in Record.
type waiter struct {
	e   Entry
	res chan recorded
}

// recorded answers a waiter: its batch's outcome, or that it is to write
// the next batch.
type recorded struct {
	err  error
	next bool
}

// writeBatch writes the events queued so far in one transaction, answers
// their callers, and hands the events queued meanwhile to one of theirs.
func (l *Log) writeBatch(ctx context.Context) {
	l.mu.Lock()
	batch := l.queue
	l.queue = nil
	l.mu.Unlock()
	// Other callers' entries ride on this one's request: its end must
	// not stop them.
	ctx = context.WithoutCancel(ctx)
	// The write may run more than once (store.Write); each run chains
	// fresh copies, so a retry starts from the head as it then is.
	err := l.db.Write(ctx, func(tx *store.Tx) error {
		entries := make([]*Entry, len(batch))
		for i, w := range batch {
			e := w.e
			entries[i] = &e
		}
		return l.append(ctx, tx, entries)
	})
	l.mu.Lock()
	var next *waiter
	if len(l.queue) > 0 {
		next = l.queue[0]
	} else {
		l.writing = false
	}
	l.mu.Unlock()
	for _, w := range batch {
		w.res <- recorded{err: err}
	}
	if next != nil {
		next.res <- recorded{next: true}
	}
}

// content is the byte string the entry's hash covers: every field, each
// with its length, so that no two entries share an encoding.
func (e *Entry) content() []byte {
	var b bytes.Buffer
	num := func(n int64) {
		var x [8]byte
		binary.BigEndian.PutUint64(x[:], uint64(n))
		b.Write(x[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		b.WriteString(s)
	}
	b.WriteString("treem-audit-v1")
	b.Write(e.PrevHash)
	num(int64(e.Chain))
	num(e.Seq)
	num(store.Millis(e.At))
	num(e.ActorID)
	for _, s := range []string{e.Actor, e.Role, e.Unit, e.Action, e.RecordType, e.RecordID, e.Client, e.Outcome, e.Detail} {
		str(s)
	}
	return b.Bytes()
}

// Break is the first place a chain is broken.
type Break struct {
	Chain   int
	Seq     int64 // the entry's position in its chain
	ID      int64 // the entry's row id, 0 when the entry is missing
	Problem string
}

func (b Break) String() string {
	if b.ID == 0 {
		return fmt.Sprintf("chain %d, entry %d: %s", b.Chain, b.Seq, b.Problem)
	}
	return fmt.Sprintf("entry id %d (chain %d, entry %d): %s", b.ID, b.Chain, b.Seq, b.Problem)
}

// Report is the result of Verify.
type Report struct {
	Entries int64
	Chains  int
	Breaks  []Break // the first break of each broken chain, earliest first
}

// OK reports whether every chain is whole.
func (r Report) OK() bool { return len(r.Breaks) == 0 }

// Verify walks every chain from its start and reports the first entry of
// each that was changed, removed or inserted, and entries removed from the
// end (the chain's head remembers how long it was).
func (l *Log) Verify(ctx context.Context) (Report, error) {
	var rep Report
	heads := map[int]struct {
		seq  int64
		hash []byte
	}{}
	hr, err := l.db.Read().QueryContext(ctx, `SELECT chain, seq, hash FROM audit_head`)
	if err != nil {
		return rep, fmt.Errorf("audit verify: read heads: %w", err)
	}
	for hr.Next() {
		var c int
		var s int64
		var h []byte
		if err := hr.Scan(&c, &s, &h); err != nil {
			hr.Close()
			return rep, err
		}
		heads[c] = struct {
			seq  int64
			hash []byte
		}{s, h}
	}
	hr.Close()
	if err := hr.Err(); err != nil {
		return rep, err
	}

	rows, err := l.db.Read().QueryContext(ctx, `SELECT id, chain, seq, at, actor_id, actor, role, unit, action,
		record_type, record_id, client_addr, outcome, detail, prev_hash, hash
		FROM audit_log ORDER BY chain, seq`)
	if err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	type state struct {
		next   int64
		prev   []byte
		broken bool
	}
	chains := map[int]*state{}
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return rep, err
		}
		rep.Entries++
		st := chains[e.Chain]
		if st == nil {
			st = &state{next: 1, prev: genesis}
			chains[e.Chain] = st
		}
		if st.broken {
			continue
		}
		brk := func(seq, id int64, problem string) {
			rep.Breaks = append(rep.Breaks, Break{Chain: e.Chain, Seq: seq, ID: id, Problem: problem})
			st.broken = true
		}
		switch {
		case e.Seq > st.next:
			brk(st.next, 0, fmt.Sprintf("missing: removed (the chain jumps from entry %d to %d)", st.next-1, e.Seq))
		case e.Seq < st.next:
			brk(e.Seq, e.ID, "out of order: inserted")
		case !bytes.Equal(e.PrevHash, st.prev):
			brk(e.Seq, e.ID, "does not follow the entry before it: an entry was removed or inserted before it, or it was changed")
		case !bytes.Equal(l.mac(e.content()), e.Hash):
			brk(e.Seq, e.ID, "changed or inserted: its content does not match its hash")
		default:
			st.next++
			st.prev = e.Hash
		}
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	for c, h := range heads {
		st := chains[c]
		if st == nil {
			if h.seq > 0 {
				rep.Breaks = append(rep.Breaks, Break{Chain: c, Seq: 1, Problem: fmt.Sprintf("missing: all %d entries removed", h.seq)})
			}
			continue
		}
		if st.broken {
			continue
		}
		last := st.next - 1
		switch {
		case last < h.seq:
			rep.Breaks = append(rep.Breaks, Break{Chain: c, Seq: last + 1, Problem: fmt.Sprintf("missing: entries %d to %d removed from the end", last+1, h.seq)})
		case !bytes.Equal(st.prev, h.hash):
			rep.Breaks = append(rep.Breaks, Break{Chain: c, Seq: last, Problem: "the last entry does not match the chain's head: changed or inserted"})
		}
	}
	for c := range chains {
		if _, ok := heads[c]; !ok {
			rep.Breaks = append(rep.Breaks, Break{Chain: c, Seq: 1, Problem: "inserted: the chain has no head"})
		}
	}
	rep.Chains = len(chains)
	sortBreaks(rep.Breaks)
	return rep, nil
}

func sortBreaks(b []Break) {
	for i := 1; i < len(b); i++ {
		for j := i; j > 0 && less(b[j], b[j-1]); j-- {
			b[j], b[j-1] = b[j-1], b[j]
		}
	}
}

func less(a, b Break) bool {
	if a.ID != 0 && b.ID != 0 {
		return a.ID < b.ID
	}
	if a.Chain != b.Chain {
		return a.Chain < b.Chain
	}
	return a.Seq < b.Seq
}

func scan(rows *sql.Rows) (Entry, error) {
	var e Entry
	var at int64
	err := rows.Scan(&e.ID, &e.Chain, &e.Seq, &at, &e.ActorID, &e.Actor, &e.Role, &e.Unit, &e.Action,
		&e.RecordType, &e.RecordID, &e.Client, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash)
	e.At = store.Time(at)
	return e, err
}

// Filter selects entries for the audit page.
type Filter struct {
	Actor      string // user name, exact
	Action     string // exact: "child.read"
	RecordType string
	RecordID   string
	Outcome    string
	From, To   time.Time
	Before     int64 // cursor: entries with a smaller id
	Limit      int
}

// List returns entries newest first, and the total that match.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.RecordType != "" {
		add("record_type = ?", f.RecordType)
	}
	if f.RecordID != "" {
		add("record_id = ?", f.RecordID)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if !f.From.IsZero() {
		add("at >= ?", store.Millis(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", store.Millis(f.To))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := l.db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit list: count: %w", err)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := l.db.Read().QueryContext(ctx, `SELECT id, chain, seq, at, actor_id, actor, role, unit, action,
		record_type, record_id, client_addr, outcome, detail, prev_hash, hash FROM audit_log`+cond+
		" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// HashHex is the entry's hash as text, for display.
func (e Entry) HashHex() string { return hex.EncodeToString(e.Hash) }

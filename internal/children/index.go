package children

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"treem/internal/ident"
	"treem/internal/match"
)

// The name index (match.Index) lives in each instance's memory. It is
// loaded from the database at start-up, updated after each commit of this
// instance, and polled for the changes other instances (or a command-line
// import beside a running server) commit: every row whose updated_at is at
// or after the newest one seen, less an overlap that covers transactions
// committing out of order, is read again; rows already applied at the same
// version are skipped.
//
// Once the changes have settled the overlap is read no more: only rows
// stamped after the newest one seen. Without that, a registry whose last
// changes came in a burst (an import, the benchmark's bulk load: two
// million rows with one updated_at) was read whole again every second
// while nothing changed, which took a CPU and kept a map of every row.
// The changes have settled when a poll began syncOverlap after the newest
// change was first seen (a transaction that stamped its rows before that
// change had committed by then) and that long after it was stamped, or
// syncHorizon after it was stamped; stamps are compared with this
// instance's clock (the one rows are stamped with), so a clock that stands
// still, as in tests, never settles.

// syncOverlap is how far back each poll looks behind the newest change seen.
const syncOverlap = 5 * time.Second

// syncHorizon is the longest a transaction takes from stamping its rows to
// committing, with the difference between instances' clocks.
const syncHorizon = time.Minute

type syncState struct {
	mu    sync.Mutex
	since int64           // newest updated_at applied (ms)
	seen  map[int64]int64 // id → version applied, for rows inside the overlap
	at    map[int64]int64 // id → updated_at of those rows, for pruning
	// raised is when since last rose (this instance's clock, after the
	// read that found it); last when the last poll or the load began, and
	// lastStamp the same moment by the clock rows are stamped with (ms).
	raised, last time.Time
	lastStamp    int64
	// unsure is the oldest updated_at of rows that may not be in the index
	// yet: those the next poll reads. A page answered from the index asks
	// the database whether any of its children changed since.
	unsure atomic.Int64
}

// next is the oldest updated_at the next poll reads.
func (st *syncState) next() int64 {
	if st.settled() {
		return st.since + 1
	}
	return st.since - syncOverlap.Milliseconds()
}

// settled reports whether every row stamped at or before since had
// committed when the last poll (or the load) read it.
func (st *syncState) settled() bool {
	if st.last.IsZero() {
		return false
	}
	return st.since <= st.lastStamp-syncOverlap.Milliseconds() && st.last.Sub(st.raised) >= syncOverlap ||
		st.since <= st.lastStamp-syncHorizon.Milliseconds()
}

// contactPhone is the phone a child is matched by: their own, else their
// first caregiver's.
func contactPhone(c Child) string {
	if c.Phone != "" {
		return c.Phone
	}
	for _, cg := range c.Caregivers {
		if cg.Phone != "" {
			return cg.Phone
		}
	}
	return ""
}

// phoneKey is the form a phone takes in the index: a short keyed hash, so
// that the index never holds phone numbers.
func phoneKey(hash []byte) string { return match.PhoneKey(hash) }

func (s *Service) phoneLookup(phone string) []byte {
	if phone == "" {
		return nil
	}
	return s.Keys.Lookup(lookupPhone, phone)
}

// record is a child as the index holds it.
func (s *Service) record(c Child) match.Record {
	return match.Record{ID: c.ID, Name: c.Name, DOB: c.DOB, Sex: c.Sex, Commune: c.Commune, PID: c.PID,
		Phone: phoneKey(s.phoneLookup(contactPhone(c))), Groups: groupsMask(c.Periods, s.today())}
}

const indexCols = `id, name, dob_on, dob_estimated, sex, commune_code, pid, phone_hash, groups_mask, merged_into, version, updated_at`

type indexRow struct {
	rec     match.Record
	merged  bool
	version int64
	updated int64
}

func scanIndexRow(rows *sql.Rows) (indexRow, error) {
	var r indexRow
	var dob int
	var est bool
	var sex string
	var hash []byte
	var mask int64
	var merged sql.NullInt64
	if err := rows.Scan(&r.rec.ID, &r.rec.Name, &dob, &est, &sex, &r.rec.Commune, &r.rec.PID, &hash, &mask, &merged,
		&r.version, &r.updated); err != nil {
		return r, err
	}
	r.rec.DOB = numDate(dob, est)
	r.rec.Sex = sexOf(sex)
	r.rec.Phone = phoneKey(hash)
	r.rec.Groups = uint32(mask)
	r.merged = merged.Valid
	return r, nil
}

// loadChunk is how many ids one start-up read covers.
const loadChunk = 1 << 15

// loadCols are the columns the start-up load reads: indexCols without
// what only a poll needs.
const loadCols = `id, name, dob_on, dob_estimated, sex, commune_code, pid, phone_hash, groups_mask`

// LoadIndex fills the name index with every child not merged into another
// and returns how many it holds. Chunks of ids are read in parallel, a few
// ahead, while this goroutine adds them to the index in id order (so that
// the order ties are broken in is the registry's, whatever the timing).
func (s *Service) LoadIndex(ctx context.Context) (int, error) {
	start, stamp := time.Now(), s.Now().UnixMilli()
	var lo, hi, newest sql.NullInt64
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT MIN(id), MAX(id), MAX(updated_at) FROM children`).Scan(&lo, &hi, &newest); err != nil {
		return 0, fmt.Errorf("index: %w", err)
	}
	s.sync.mu.Lock()
	s.sync.since = newest.Int64
	s.sync.seen, s.sync.at = map[int64]int64{}, map[int64]int64{}
	s.sync.raised, s.sync.last, s.sync.lastStamp = time.Now(), start, stamp
	s.sync.mu.Unlock()
	if lo.Valid {
		if err := s.loadRange(ctx, lo.Int64, hi.Int64); err != nil {
			return 0, err
		}
	}
	s.sync.mu.Lock()
	s.sync.unsure.Store(s.sync.next())
	s.sync.mu.Unlock()
	return s.Index.Len(), nil
}

// loadRange reads the children with ids in [lo, hi] into the index.
func (s *Service) loadRange(ctx context.Context, lo, hi int64) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: a reader or the producer may be waiting for room
	defer cancel()
	s.Index.Reserve(int(min(hi-lo+1, 1<<25))) // ids are dense; a stray huge one must not reserve gigabytes
	type chunk struct {
		recs []match.Record
		err  error
		done chan struct{}
	}
	chunks := make([]*chunk, (hi-lo)/loadChunk+1)
	for i := range chunks {
		chunks[i] = &chunk{done: make(chan struct{})}
	}
	// At most ahead chunks are being read or waiting to be added.
	ahead := make(chan struct{}, runtime.NumCPU()+1)
	wg.Go(func() {
		for i, c := range chunks {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			from := lo + int64(i)*loadChunk
			wg.Go(func() {
				defer close(c.done)
				c.recs, c.err = s.readChunk(ctx, from, from+loadChunk)
			})
		}
	})
	for _, c := range chunks {
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if c.err != nil {
			return c.err
		}
		s.Index.UpsertMany(c.recs)
		c.recs = nil
		<-ahead
	}
	return nil
}

// readChunk reads the children not merged with ids in [from, to).
func (s *Service) readChunk(ctx context.Context, from, to int64) ([]match.Record, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+loadCols+` FROM children
		WHERE id >= $1 AND id < $2 AND merged_into IS NULL ORDER BY id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	defer rows.Close()
	out := make([]match.Record, 0, loadChunk)
	communes := map[string]string{} // one string per commune, not per child
	var dob int
	var est bool
	var sex, commune sql.RawBytes
	var hash []byte
	var mask int64
	for rows.Next() {
		var r match.Record
		if err := rows.Scan(&r.ID, &r.Name, &dob, &est, &sex, &commune, &r.PID, &hash, &mask); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		r.DOB = numDate(dob, est)
		r.Sex = sexOf(string(sex))
		c, ok := communes[string(commune)]
		if !ok {
			c = string(commune)
			communes[c] = c
		}
		r.Commune = c
		r.Phone = phoneKey(hash)
		r.Groups = uint32(mask)
		out = append(out, r)
	}
	return out, rows.Err()
}

func sexOf(s string) ident.Sex {
	switch s {
	case "male":
		return ident.Male
	case "female":
		return ident.Female
	}
	return ident.SexUnknown
}

// SyncIndex applies the changes committed since the last look, by any
// instance, and returns how many rows it applied.
func (s *Service) SyncIndex(ctx context.Context) (int, error) {
	s.sync.mu.Lock()
	defer s.sync.mu.Unlock()
	if s.sync.seen == nil {
		s.sync.seen, s.sync.at = map[int64]int64{}, map[int64]int64{}
	}
	from := s.sync.next()
	if s.sync.settled() {
		for id, at := range s.sync.at {
			if at <= s.sync.since {
				delete(s.sync.at, id)
				delete(s.sync.seen, id)
			}
		}
	}
	start, stamp := time.Now(), s.Now().UnixMilli()
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+indexCols+` FROM children WHERE updated_at >= $1
		ORDER BY updated_at, id`, from)
	if err != nil {
		return 0, fmt.Errorf("index sync: %w", err)
	}
	defer rows.Close()
	applied := 0
	newest := s.sync.since
	for rows.Next() {
		r, err := scanIndexRow(rows)
		if err != nil {
			return applied, fmt.Errorf("index sync: %w", err)
		}
		newest = max(newest, r.updated)
		if v, ok := s.sync.seen[r.rec.ID]; ok && v == r.version {
			continue
		}
		if r.merged {
			s.Index.Delete(r.rec.ID)
		} else {
			s.Index.Upsert(r.rec)
		}
		s.sync.seen[r.rec.ID], s.sync.at[r.rec.ID] = r.version, r.updated
		applied++
	}
	if err := rows.Err(); err != nil {
		return applied, err
	}
	if newest > s.sync.since {
		s.sync.raised = time.Now()
	}
	s.sync.since = newest
	s.sync.last, s.sync.lastStamp = start, stamp
	s.sync.unsure.Store(s.sync.next())
	for id, at := range s.sync.at {
		if at < newest-syncOverlap.Milliseconds() {
			delete(s.sync.at, id)
			delete(s.sync.seen, id)
		}
	}
	return applied, nil
}

// Run keeps the index in step with the database until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.SyncIndex(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("children index sync", "err", err.Error())
			}
		}
	}
}

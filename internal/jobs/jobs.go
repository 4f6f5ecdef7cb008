// Package jobs runs durable background work: reminders and escalations of
// case deadlines, processing of messages received by webhooks, e-mails.
//
// A job is a row, written in the same transaction as the change that asks
// for it, so it exists exactly when that change does. Workers claim due
// jobs with one conditional UPDATE (the same SQL on both engines): on
// PostgreSQL a second instance racing for the same row re-checks the
// condition after the first commits and skips it, so each job is run by one
// instance. A worker that dies mid-job loses its lease and the job runs
// again, so handlers must be idempotent (a unique key on what they write).
//
// Time comes from the clock given to New: tests move it and call RunDue.
package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"treem/internal/store"
)

// Opts tune one job.
type Opts struct {
	RunAt       time.Time // zero: now
	UniqueKey   string    // non-empty: a second job with the same key is not added
	MaxAttempts int       // zero: 10
}

// Job is a claimed job handed to its handler.
type Job struct {
	ID      int64
	Kind    string
	Args    json.RawMessage
	Attempt int // 1 on the first run
	RunAt   time.Time
}

// Handler runs a job; an error schedules a retry with back-off.
type Handler func(ctx context.Context, j Job) error

// Queue enqueues and runs jobs.
type Queue struct {
	db       *store.DB
	log      *slog.Logger
	now      func() time.Time
	worker   string
	mu       sync.RWMutex
	handlers map[string]Handler
	wake     chan struct{}
	stopped  chan struct{} // closed when Start's workers have all returned

	// Lease is how long a claimed job stays with its worker before another
	// may take it; Timeout is how long a handler may run (less than Lease).
	Lease   time.Duration
	Timeout time.Duration
	// Poll is how often workers look for due jobs when nothing woke them.
	Poll time.Duration
	// Batch is how many jobs RunDue claims at once.
	Batch int
	// Workers is how many jobs Start runs at the same time. Each worker
	// claims a job only when it is free, so no job waits out its lease
	// behind another.
	Workers int
	// Grace is how long running jobs may finish once Start's context ends
	// before their context is cancelled too; a job cut short is handed
	// back at once, without counting an attempt.
	Grace time.Duration
	// Keep is how long finished jobs are kept for inspection.
	Keep time.Duration
}

// New returns a queue; register handlers, then Start it.
func New(db *store.DB, log *slog.Logger, now func() time.Time) *Queue {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b [6]byte
	rand.Read(b[:])
	return &Queue{db: db, log: log, now: now, worker: hex.EncodeToString(b[:]),
		handlers: map[string]Handler{}, wake: make(chan struct{}, 1),
		Lease: 5 * time.Minute, Timeout: 2 * time.Minute, Poll: time.Second, Batch: 50, Workers: 4, Grace: 10 * time.Second,
		Keep: 14 * 24 * time.Hour}
}

// Handle registers the handler of a kind of job.
func (q *Queue) Handle(kind string, fn Handler) {
	q.mu.Lock()
	q.handlers[kind] = fn
	q.mu.Unlock()
}

// Enqueue adds a job inside the caller's transaction. With a UniqueKey
// already used, it adds nothing and returns nil.
func (q *Queue) Enqueue(ctx context.Context, tx *store.Tx, kind string, args any, o Opts) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("job %s: encode args: %w", kind, err)
	}
	now := q.now()
	runAt := o.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	maxAttempts := o.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 10
	}
	var key sql.NullString
	if o.UniqueKey != "" {
		key = sql.NullString{String: o.UniqueKey, Valid: true}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO jobs (kind, args, unique_key, state, run_at, max_attempts, created_at)
		VALUES ($1, $2, $3, 'available', $4, $5, $6) ON CONFLICT (unique_key) DO NOTHING`,
		kind, string(raw), key, store.Millis(runAt), maxAttempts, store.Millis(now))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if !runAt.After(now) {
		tx.After(q.Wake)
	}
	return nil
}

// Pending is one job for EnqueueMany.
type Pending struct {
	Args any
	Opts Opts
}

// EnqueueMany adds jobs of one kind inside the caller's transaction, in
// multi-row statements (a few round trips for hundreds of jobs). Unique
// keys already used are skipped as with Enqueue.
func (q *Queue) EnqueueMany(ctx context.Context, tx *store.Tx, kind string, jobs []Pending) error {
	now := q.now()
	wake := false
	// SQLite looks $N parameters up in a list (quadratic in their number):
	// small statements there; PostgreSQL pays a round trip per statement.
	chunk := 50
	if tx.Engine() == store.Postgres {
		chunk = 500
	}
	for start := 0; start < len(jobs); start += chunk {
		part := jobs[start:min(start+chunk, len(jobs))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO jobs (kind, args, unique_key, state, run_at, max_attempts, created_at) VALUES `)
		args := make([]any, 0, len(part)*6+1)
		args = append(args, kind)
		for i, p := range part {
			raw, err := json.Marshal(p.Args)
			if err != nil {
				return fmt.Errorf("job %s: encode args: %w", kind, err)
			}
			runAt := p.Opts.RunAt
			if runAt.IsZero() {
				runAt = now
			}
			if !runAt.After(now) {
				wake = true
			}
			maxAttempts := p.Opts.MaxAttempts
			if maxAttempts <= 0 {
				maxAttempts = 10
			}
			var key sql.NullString
			if p.Opts.UniqueKey != "" {
				key = sql.NullString{String: p.Opts.UniqueKey, Valid: true}
			}
			if i > 0 {
				sb.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($1, $%d, $%d, 'available', $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, string(raw), key, store.Millis(runAt), maxAttempts, store.Millis(now))
		}
		sb.WriteString(` ON CONFLICT (unique_key) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("enqueue %d %s: %w", len(part), kind, err)
		}
	}
	if wake {
		tx.After(q.Wake)
	}
	return nil
}

// EnqueueNow adds a job in a transaction of its own.
func (q *Queue) EnqueueNow(ctx context.Context, kind string, args any, o Opts) error {
	return q.db.Write(ctx, func(tx *store.Tx) error { return q.Enqueue(ctx, tx, kind, args, o) })
}

// Wake tells the workers to look for due jobs now.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) kinds() []string {
	q.mu.RLock()
	defer q.mu.RUnlock()
	ks := make([]string, 0, len(q.handlers))
	for k := range q.handlers {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// claim takes up to n due jobs of the kinds this queue handles.
func (q *Queue) claim(ctx context.Context, n int) ([]Job, error) {
	kinds := q.kinds()
	if len(kinds) == 0 {
		return nil, nil
	}
	now := store.Millis(q.now())
	args := []any{q.worker, now + q.Lease.Milliseconds(), now, n}
	ph := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, k)
		ph[i] = "$" + strconv.Itoa(len(args))
	}
	due := `((state = 'available' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) AND kind IN (` + strings.Join(ph, ", ") + `)`
	query := `UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_by = $1, locked_until = $2
		WHERE id IN (SELECT id FROM jobs WHERE ` + due + ` ORDER BY run_at, id LIMIT $4) AND ` + due + `
		RETURNING id, kind, args, attempt, run_at`
	var jobs []Job
	err := q.db.Write(ctx, func(tx *store.Tx) error {
		jobs = jobs[:0]
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j Job
			var a string
			var runAt int64
			if err := rows.Scan(&j.ID, &j.Kind, &a, &j.Attempt, &runAt); err != nil {
				return err
			}
			j.Args, j.RunAt = json.RawMessage(a), store.Time(runAt)
			jobs = append(jobs, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].ID < jobs[k].ID })
	return jobs, nil
}

// run executes one claimed job and records the outcome. ctx is the
// handler's: when it ends (the queue stops) before the handler succeeds,
// the job is handed back at once without counting the attempt.
func (q *Queue) run(ctx context.Context, j Job) error {
	q.mu.RLock()
	h := q.handlers[j.Kind]
	q.mu.RUnlock()
	hctx, cancel := context.WithTimeout(ctx, q.Timeout)
	err := call(hctx, h, j)
	cancel()
	now := q.now()
	// The outcome is recorded even when ctx ends (shutdown) meanwhile.
	wctx := context.WithoutCancel(ctx)
	if err == nil {
		return q.db.Write(wctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(wctx, `UPDATE jobs SET state = 'done', finished_at = $1, locked_until = 0, last_error = ''
				WHERE id = $2 AND locked_by = $3`, store.Millis(now), j.ID, q.worker)
			return err
		})
	}
	if ctx.Err() != nil {
		q.log.Info("job interrupted by shutdown: handed back", "kind", j.Kind, "job", j.ID)
		return q.db.Write(wctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(wctx, `UPDATE jobs SET state = 'available', attempt = attempt - 1, run_at = $1,
				locked_until = 0, last_error = 'interrupted by shutdown' WHERE id = $2 AND locked_by = $3`,
				store.Millis(now), j.ID, q.worker)
			return err
		})
	}
	q.log.Warn("job failed", "kind", j.Kind, "job", j.ID, "attempt", j.Attempt, "err", err.Error())
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return q.db.Write(wctx, func(tx *store.Tx) error {
		// CAST: PostgreSQL would otherwise type $1 after the 0 beside it
		// (integer), too small for a time in milliseconds.
		_, err := tx.ExecContext(wctx, `UPDATE jobs SET
			state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'available' END,
			finished_at = CASE WHEN attempt >= max_attempts THEN CAST($1 AS BIGINT) ELSE 0 END,
			run_at = $2, locked_until = 0, last_error = $3
			WHERE id = $4 AND locked_by = $5`,
			store.Millis(now), store.Millis(now.Add(backoff(j.Attempt))), msg, j.ID, q.worker)
		return err
	})
}

// backoff grows with the attempt: 10 s, 40 s, 90 s … capped at an hour.
func backoff(attempt int) time.Duration {
	d := time.Duration(attempt*attempt) * 10 * time.Second
	return min(d, time.Hour)
}

func call(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if h == nil {
		return errors.New("no handler")
	}
	return h(ctx, j)
}

// RunDue runs, here and now, every job due at the clock's time (and those
// that become due by retries within the same time), one after another in
// the order they were enqueued, and returns how many ran. Tests call it
// after moving the clock.
func (q *Queue) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		jobs, err := q.claim(ctx, q.Batch)
		if err != nil {
			return n, err
		}
		if len(jobs) == 0 {
			return n, nil
		}
		for _, j := range jobs {
			if err := q.run(ctx, j); err != nil {
				return n, err
			}
			n++
		}
	}
}

// Start runs Workers workers until ctx ends. One loop claims as many due
// jobs as there are idle workers, woken by Enqueue, by a worker becoming
// free after a full claim, or every Poll; each claimed job runs in its own
// goroutine. The loop also deletes finished jobs older than Keep.
//
// When ctx ends no more jobs are claimed; running jobs get Grace to finish,
// then their context is cancelled and the jobs they did not finish are
// handed back for another instance. Wait returns when all is done. Start a
// queue once.
func (q *Queue) Start(ctx context.Context) {
	workers := max(q.Workers, 1)
	q.stopped = make(chan struct{})
	// Handlers run under their own context, cancelled only after Grace.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	idle := make(chan struct{}, workers) // one token per idle worker
	for range workers {
		idle <- struct{}{}
	}
	freed := make(chan struct{}, 1)
	var running sync.WaitGroup
	go func() {
		defer close(q.stopped)
		defer cancelWork()
		t := time.NewTicker(q.Poll)
		defer t.Stop()
		lastSweep := time.Time{}
		for {
			n := 0
		take:
			for n < workers {
				select {
				case <-idle:
					n++
				default:
					break take
				}
			}
			full := n == 0 // every worker busy: look again when one is free
			if n > 0 {
				// Claimed jobs are always run or handed back, so the claim
				// itself is not cut short by shutdown.
				jobs, err := q.claim(context.WithoutCancel(ctx), min(n, max(q.Batch, 1)))
				if err != nil {
					q.log.Error("claim jobs", "err", err.Error())
				}
				for _, j := range jobs {
					running.Add(1)
					go func() {
						defer running.Done()
						if err := q.run(work, j); err != nil {
							q.log.Error("record job outcome", "kind", j.Kind, "job", j.ID, "err", err.Error())
						}
						idle <- struct{}{}
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
				}
				for range n - len(jobs) {
					idle <- struct{}{}
				}
				full = len(jobs) == n
			}
			if now := q.now(); now.Sub(lastSweep) > time.Hour {
				lastSweep = now
				if err := q.sweep(ctx); err != nil && ctx.Err() == nil {
					q.log.Warn("sweep jobs", "err", err.Error())
				}
			}
			var more <-chan struct{}
			if full {
				more = freed
			}
			select {
			case <-ctx.Done():
				q.drain(&running, cancelWork)
				return
			case <-q.wake:
			case <-t.C:
			case <-more:
			}
		}
	}()
}

// drain waits for running jobs, for at most Grace before cancelling them.
func (q *Queue) drain(running *sync.WaitGroup, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() {
		running.Wait()
		close(done)
	}()
	grace := time.NewTimer(q.Grace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		cancel()
		<-done
	}
}

// Wait returns once the workers Start began have stopped (after its
// context ended) and every outcome is recorded; call it before closing the
// database.
func (q *Queue) Wait() {
	if q.stopped != nil {
		<-q.stopped
	}
}

func (q *Queue) sweep(ctx context.Context) error {
	cutoff := store.Millis(q.now().Add(-q.Keep))
	return q.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1`, cutoff)
		return err
	})
}

// Stats counts jobs by state, for the metrics and the admin page.
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	rows, err := q.db.Read().QueryContext(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

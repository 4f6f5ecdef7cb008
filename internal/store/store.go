// Package store opens treem's database, SQLite or PostgreSQL, applies the
// embedded migrations and runs write transactions.
//
// The same SQL text runs on both engines ($1 placeholders, no engine-only
// functions in queries). Times are stored as BIGINT milliseconds since the
// Unix epoch (columns named *_at) and calendar dates as INTEGER yyyymmdd
// (columns named *_on; a partial date has 00 for what is unknown), so that
// comparison and ordering agree on both engines whatever PostgreSQL's
// locale. Text is never compared by range or sorted by the database: names
// are sorted by a Vietnamese collation key stored as bytes.
//
// On SQLite every write goes through one writer connection that commits many
// callers' work in one transaction (group commit, each caller in its own
// savepoint): with synchronous=FULL a commit costs an fsync, and batching is
// what lets thousands of acknowledged writes a second survive power loss.
// On PostgreSQL each write is its own transaction on the pool; the server
// does its own group commit.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrClosed is returned for writes after Close.
var ErrClosed = errors.New("database closed")

// Options tune the connection; the zero value is right for production.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (default), NORMAL or OFF.
	// FULL because an acknowledged child-protection record must survive a
	// power cut, not only a crash of the process.
	Synchronous string
	// ReadConns is the size of the reader pool (SQLite) or the whole pool
	// (PostgreSQL). Zero picks a size from the number of CPUs.
	ReadConns int
	// BusyTimeout is how long SQLite waits for a lock held by another process
	// (a CLI command beside the server, say).
	BusyTimeout time.Duration
	// Lanes is the number of independent audit chains writers spread over
	// on PostgreSQL, so that instances do not queue on one lock. SQLite has
	// one writer and always one lane.
	Lanes int
}

// DB is an open database.
type DB struct {
	Engine Engine
	Lanes  int
	write  *sql.DB // SQLite: one connection; PostgreSQL: the pool
	read   *sql.DB // SQLite: the reader pool; PostgreSQL: the same pool
	side   *sql.DB // PostgreSQL: a small pool for statements that commit on their own

	reqs      chan *writeReq
	stmtMu    sync.Mutex
	stmts     map[string]*sql.Stmt // SQLite: statements prepared on the write connection
	pending   map[string]bool      // SQLite: statements to prepare between batches
	closeOnce sync.Once
	closing   chan struct{}
	writerOut chan struct{}
	dsn       string
}

// Open connects to dsn: "sqlite:PATH" (or a path ending in .db), or
// "postgres://…". It does not run migrations; call Migrate.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	engine, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if opt.ReadConns <= 0 {
		opt.ReadConns = max(4, 2*runtime.NumCPU())
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 10 * time.Second
	}
	if opt.Synchronous == "" {
		opt.Synchronous = "FULL"
	}
	switch strings.ToUpper(opt.Synchronous) {
	case "FULL", "NORMAL", "OFF", "EXTRA":
	default:
		return nil, fmt.Errorf("synchronous must be FULL, NORMAL, OFF or EXTRA, not %q", opt.Synchronous)
	}
	db := &DB{Engine: engine, closing: make(chan struct{}), writerOut: make(chan struct{}), dsn: dsn,
		stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
	switch engine {
	case SQLite:
		db.Lanes = 1
		if err := db.openSQLite(ctx, target, opt); err != nil {
			return nil, err
		}
		db.reqs = make(chan *writeReq, 4096)
		go db.writer()
	case Postgres:
		db.Lanes = opt.Lanes
		if db.Lanes <= 0 {
			db.Lanes = 8
		}
		pool, err := sql.Open("pgx", target)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(max(opt.ReadConns, 16))
		pool.SetMaxIdleConns(max(opt.ReadConns, 16))
		pool.SetConnMaxIdleTime(5 * time.Minute)
		if err := pool.PingContext(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		side, err := sql.Open("pgx", target)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		side.SetMaxOpenConns(4)
		side.SetMaxIdleConns(4)
		side.SetConnMaxIdleTime(5 * time.Minute)
		db.write, db.read, db.side = pool, pool, side
		close(db.writerOut)
	}
	return db, nil
}

// ParseDSN splits a database address into engine and driver target.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		return SQLite, strings.TrimPrefix(dsn, "sqlite://"), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return SQLite, strings.TrimPrefix(dsn, "sqlite:"), nil
	case strings.HasSuffix(dsn, ".db"), strings.HasSuffix(dsn, ".sqlite"):
		return SQLite, dsn, nil
	}
	return "", "", fmt.Errorf("database address %q: use sqlite:FILE or postgres://USER@HOST/DB", redactDSN(dsn))
}

// redactDSN hides a password in an address shown in an error.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// String describes the database without secrets.
func (db *DB) String() string { return redactDSN(db.dsn) }

func (db *DB) openSQLite(ctx context.Context, path string, opt Options) error {
	if path == "" {
		return errors.New("sqlite: no file name")
	}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", opt.BusyTimeout.Milliseconds())
	// The writer reads the pages it changes through a memory map, keeps
	// 64 MB of them cached and its statement journals (each caller's
	// savepoint) in memory: bulk writes (an import of a million children)
	// touch index pages all over the file, and a system call per page would
	// cost more than the insert itself.
	wdsn := fmt.Sprintf("file:%s?%s&_pragma=journal_mode(WAL)&_pragma=synchronous(%s)&_pragma=mmap_size(268435456)&_pragma=cache_size(-65536)&_pragma=temp_store(2)&_txlock=immediate",
		path, common, strings.ToUpper(opt.Synchronous))
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// One writer: SQLite allows one at a time, and queueing in Go is cheaper
	// and fairer than spinning on SQLITE_BUSY.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Readers read with pread, not through a memory map: a read
	// transaction that begins after any commit (an audit entry commits
	// with every read of a record) drops its cache and, with a map,
	// unmaps and maps the file again and faults in every page it touches.
	// Under the registry benchmark the unmapping alone took a tenth of the
	// server's CPU.
	rdsn := fmt.Sprintf("file:%s?%s&_pragma=query_only(1)", path, common)
	r, err := sql.Open("sqlite", rdsn)
	if err != nil {
		w.Close()
		return fmt.Errorf("open sqlite %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(opt.ReadConns)
	r.SetMaxIdleConns(opt.ReadConns)
	r.SetConnMaxIdleTime(0)
	db.write, db.read = w, r
	return nil
}

// Read returns the pool for queries. On SQLite its connections cannot write.
func (db *DB) Read() *sql.DB { return db.read }

// Autonomous returns, on PostgreSQL, a small pool of its own for short
// statements that must commit on their own while a transaction is open
// (taking the next number of a counter without holding its row lock until
// the whole transaction ends). It is separate from the main pool because
// transactions waiting for a main-pool connection to run such a statement
// could otherwise hold every connection and wait for ever. nil on SQLite,
// where the single writer makes it needless.
func (db *DB) Autonomous() *sql.DB { return db.side }

// Pools returns the connection pools for metrics: name → pool.
func (db *DB) Pools() map[string]*sql.DB {
	if db.read == db.write {
		if db.side != nil {
			return map[string]*sql.DB{"main": db.read, "autonomous": db.side}
		}
		return map[string]*sql.DB{"main": db.read}
	}
	return map[string]*sql.DB{"read": db.read, "write": db.write}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close waits for queued writes and closes the pools.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.closing) })
	<-db.writerOut
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = map[string]*sql.Stmt{}
	db.stmtMu.Unlock()
	var errW, errR error
	if db.write != nil {
		errW = db.write.Close()
	}
	if db.read != nil && db.read != db.write {
		errR = db.read.Close()
	}
	if db.side != nil {
		errR = errors.Join(errR, db.side.Close())
	}
	return errors.Join(errW, errR)
}

// Queryer is what read helpers need: a pool, a transaction or a Tx.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a write transaction handed to a Write function. On SQLite it may be
// shared with other callers' work (each inside its own savepoint), so a
// function must only use it, never commit or roll it back.
type Tx struct {
	tx     *sql.Tx
	lane   int
	engine Engine
	after  []func()
	db     *DB // SQLite: the statement cache
}

func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.cached(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.cached(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.cached(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// maxStmts bounds the statement cache: statements built from data (a
// list of values of varying length) must not fill it.
const maxStmts = 512

// cached returns the statement q prepared on SQLite's write connection,
// bound to this transaction, or nil when it is not prepared yet (it is
// then prepared between batches). Parsing SQL is a large share of a
// write's cost with the pure-Go SQLite, and the one writer does all
// writes, so reusing statements raises what group commit can carry.
// PostgreSQL's driver caches prepared statements itself.
func (t *Tx) cached(ctx context.Context, q string) *sql.Stmt {
	if t.db == nil {
		return nil
	}
	db := t.db
	db.stmtMu.Lock()
	st := db.stmts[q]
	if st == nil && len(db.stmts)+len(db.pending) < maxStmts {
		db.pending[q] = true
	}
	db.stmtMu.Unlock()
	if st == nil {
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

// prepare prepares the statements seen since the last batch. It runs in
// the writer goroutine between batches, when no transaction holds the one
// write connection.
func (db *DB) prepare() {
	db.stmtMu.Lock()
	var qs []string
	for q := range db.pending {
		qs = append(qs, q)
	}
	clear(db.pending)
	db.stmtMu.Unlock()
	for _, q := range qs {
		st, err := db.write.PrepareContext(context.Background(), q)
		if err != nil {
			continue // it runs unprepared, as before
		}
		db.stmtMu.Lock()
		if len(db.stmts) < maxStmts {
			db.stmts[q] = st
		} else {
			st.Close()
		}
		db.stmtMu.Unlock()
	}
}

// PrepareContext prepares a statement inside the transaction, for work that
// runs one statement many times (a bulk import). The statement belongs to
// the transaction; close it when done.
func (t *Tx) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, q)
}

// Lane is the audit chain this transaction appends to.
func (t *Tx) Lane() int { return t.lane }

// Engine is the engine the transaction runs on.
func (t *Tx) Engine() Engine { return t.engine }

// After registers f to run once the transaction has committed (for example
// to tell live pages about a change). It does not run if the work fails.
func (t *Tx) After(f func()) { t.after = append(t.after, f) }

// Write runs fn in a write transaction and returns once its work is durably
// committed or has failed. fn may run more than once (a batch that fails as
// a whole is retried caller by caller), so it must only touch the database
// and its own results.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	if db.Engine == Postgres {
		return db.writePostgres(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case <-db.closing:
		return ErrClosed
	default:
	}
	select {
	case db.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.closing:
		return ErrClosed
	}
	// Wait even if ctx ends: the work may already be committing, and the
	// caller must learn the truth.
	var err error
	select {
	case err = <-req.done:
	case <-db.writerOut:
		select {
		case err = <-req.done:
		default:
			return ErrClosed // queued after the writer's last look
		}
	}
	if err == nil {
		for _, f := range req.after {
			f()
		}
	}
	return err
}

type writeReq struct {
	ctx   context.Context
	fn    func(*Tx) error
	done  chan error
	after []func()
	// answered is set by the writer goroutine only.
	answered bool
}

const maxBatch = 512

func (db *DB) writer() {
	defer close(db.writerOut)
	for {
		var first *writeReq
		select {
		case first = <-db.reqs:
		case <-db.closing:
			// Finish what was queued before Close.
			for {
				select {
				case r := <-db.reqs:
					db.runBatch([]*writeReq{r})
					continue
				default:
					return
				}
			}
		}
		batch := []*writeReq{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-db.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		db.runBatch(batch)
		db.prepare()
	}
}

// runBatch commits the batch's work in one transaction, each request in a
// savepoint so that one failure does not undo the others. If the batch
// cannot commit as a whole, each request not yet answered is run on its own.
func (db *DB) runBatch(batch []*writeReq) {
	if len(batch) == 1 {
		batch[0].answer(db.single(batch[0]))
		return
	}
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		db.retrySingly(batch)
		return
	}
	var ok []*writeReq
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.answer(err)
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			tx.Rollback()
			db.retrySingly(batch)
			return
		}
		t := &Tx{tx: tx, engine: db.Engine, db: db}
		ferr := call(r.fn, t)
		if ferr != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				tx.Rollback()
				db.retrySingly(batch)
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			tx.Rollback()
			db.retrySingly(batch)
			return
		}
		if ferr != nil {
			r.answer(ferr) // its work is rolled back; nothing to wait for
			continue
		}
		r.after = t.after
		ok = append(ok, r)
	}
	if err := tx.Commit(); err != nil {
		db.retrySingly(batch)
		return
	}
	for _, r := range ok {
		r.answer(nil)
	}
}

// retrySingly runs, one transaction each, every request of a failed batch
// that has not been answered yet.
func (db *DB) retrySingly(batch []*writeReq) {
	for _, r := range batch {
		if !r.answered {
			r.after = nil
			r.answer(db.single(r))
		}
	}
}

func (r *writeReq) answer(err error) {
	r.answered = true
	r.done <- err
}

func (db *DB) single(r *writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &Tx{tx: tx, engine: db.Engine, db: db}
	if err := call(r.fn, t); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	r.after = t.after
	return nil
}

// call runs fn, turning a panic into an error so that the writer survives.
func call(fn func(*Tx) error, t *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write: %v", p)
		}
	}()
	return fn(t)
}

func (db *DB) writePostgres(ctx context.Context, fn func(*Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var t *Tx
		t, err = db.pgOnce(ctx, fn)
		if err == nil {
			for _, f := range t.after {
				f()
			}
			return nil
		}
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(rand.IntN(20*(attempt+1))) * time.Millisecond)
	}
	return err
}

func (db *DB) pgOnce(ctx context.Context, fn func(*Tx) error) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	t := &Tx{tx: tx, engine: db.Engine, lane: rand.IntN(db.Lanes)}
	if err := call(fn, t); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return t, nil
}

// retryable reports PostgreSQL serialization failures and deadlocks, which
// a transaction may simply run again.
func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	return false
}

// IsUnique reports a unique-constraint violation.
func IsUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKey reports a foreign-key violation.
func IsForeignKey(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// NoRows turns sql.ErrNoRows into ErrNotFound.
func NoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// Millis is a time as stored: milliseconds since the epoch, 0 for none.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Time reads a stored time; 0 is no time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// NullMillis is a stored optional time.
func NullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// Backup writes a consistent copy of a live SQLite database to path (which
// must not exist), without stopping writers: VACUUM INTO reads one snapshot.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Engine != SQLite {
		return errors.New("backup copies SQLite databases; back PostgreSQL up with pg_dump (see docs/operations.md)")
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

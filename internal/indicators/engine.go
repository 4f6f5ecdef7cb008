// Package indicators computes the official child-protection indicators
// from the records as they change, and holds the catalogue, communes'
// aggregate returns and the national reports.
//
// Design (docs/indicators.md has the whole story):
//
//   - Each record area describes its records as facts (package facts) and
//     gives the engine a Source. The engine keeps every entity's facts,
//     encoded in a few bytes, and roll-ups of every measure: per province
//     (and "place unknown") for every year, quarter and month and every
//     disaggregation value, and per commune for years and quarters. A
//     national figure is the sum of the province rows.
//   - A change to a record writes a row to the change feed in the same
//     transaction (facts.Touch). Every instance polls the feed each second,
//     asks the source for the entity's facts again, takes back what the
//     entity counted before and adds what it counts now. So figures are
//     current within about a second on every instance, with no batch.
//   - The roll-ups are written to the database now and then, so a starting
//     instance answers at once from them while it loads the facts.
//   - The verifier recomputes every measure with plain SQL GROUP BY over the
//     areas' own tables and compares exactly.
package indicators

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"treem/internal/geo"
	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// Config tunes the engine.
type Config struct {
	FromYear      int           // first year of the roll-ups (default 2010)
	Poll          time.Duration // how often the change feed is read (default 1 s)
	SnapshotEvery time.Duration // how often the roll-ups are saved (default 10 min)
	HoleWait      time.Duration // how long a gap in the feed is waited for (default 30 s)
}

func (c *Config) defaults() {
	if c.FromYear == 0 {
		c.FromYear = 2010
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = 10 * time.Minute
	}
	if c.HoleWait <= 0 {
		c.HoleWait = 30 * time.Second
	}
}

// Engine keeps the indicators current.
type Engine struct {
	db      *store.DB
	log     *slog.Logger
	now     func() time.Time
	cfg     Config
	units   *units
	sources map[string]facts.Source
	order   []string // source names, sorted

	mu sync.RWMutex // guards st
	st *state

	buildMu  sync.Mutex // one build at a time
	pollMu   sync.Mutex // one poll at a time
	lastPoll time.Time
}

// state is what queries read: one catalogue's roll-ups and the facts.
type state struct {
	cat       *Catalogue
	ax        axis
	cube      *cube
	ents      map[string]*entityStore
	calcs     map[string]*calc
	watermark int64 // every change up to here is applied
	applied   int64 // the highest change applied
	holes     map[int64]time.Time
	live      bool      // built from the facts
	restored  bool      // restored from a snapshot (until live)
	asOf      time.Time // when the figures were current (snapshot) or built
	splits    map[splitKey]int64
	lastSnap  time.Time
}

// splitKey counts facts mapped from an old unit that was split.
type splitKey struct {
	old  int32 // interned old code
	unit int   // the successor they were attributed to
	year int
}

// New opens the engine: reads (seeding) the catalogue and, if there is
// one, the last snapshot of the roll-ups, so it can answer at once. The
// facts are loaded by Build (Start does it in the background; a query
// that needs them does it first).
func New(ctx context.Context, db *store.DB, g *geo.Units, sources []facts.Source, cfg Config, now func() time.Time, log *slog.Logger) (*Engine, error) {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if g == nil {
		g = geo.Default()
	}
	e := &Engine{db: db, log: log, now: now, cfg: cfg, units: newUnits(g), sources: map[string]facts.Source{}}
	for _, s := range sources {
		e.sources[s.Name()] = s
		e.order = append(e.order, s.Name())
	}
	sort.Strings(e.order)
	cat, err := loadCatalogue(ctx, db, now().UnixMilli())
	if err != nil {
		return nil, err
	}
	st := e.emptyState(cat)
	if snap, err := e.readSnapshot(ctx, cat); err != nil {
		log.Warn("indicators: snapshot unusable, figures wait for the first load", "err", err.Error())
	} else if snap != nil {
		st = snap
	}
	e.st = st
	return e, nil
}

// AddSource registers a source before the first build (wiring).
func (e *Engine) AddSource(s facts.Source) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sources[s.Name()] = s
	e.order = append(e.order, s.Name())
	sort.Strings(e.order)
	if e.st.live {
		e.st.live = false // the next query loads it
	}
}

func (e *Engine) axis() axis {
	return axis{from: e.cfg.FromYear, to: max(e.now().In(vnZone).Year()+1, e.cfg.FromYear)}
}

func (e *Engine) emptyState(cat *Catalogue) *state {
	ax := e.axis()
	st := &state{cat: cat, ax: ax, cube: newCube(cat, ax, e.units.nProv(), len(e.units.communes)),
		ents: map[string]*entityStore{}, calcs: map[string]*calc{}, holes: map[int64]time.Time{},
		splits: map[splitKey]int64{}, asOf: e.now()}
	for _, name := range e.order {
		st.ents[name] = newEntityStore(len(e.units.communes))
		st.calcs[name] = newCalc(cat, ax, name)
	}
	return st
}

// Catalogue returns the catalogue in force.
func (e *Engine) Catalogue() *Catalogue {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.st.cat
}

// Status says how current the figures are.
type Status struct {
	Live      bool      `json:"live"`       // built from the records and kept current
	AsOf      time.Time `json:"as_of"`      // when a restored snapshot was current
	Watermark int64     `json:"watermark"`  // change feed position applied
	Entities  int       `json:"entities"`   // records counted
	ArenaMiB  float64   `json:"arena_mib"`  // memory of the stored facts
	FromYear  int       `json:"from_year"`  // first year of the roll-ups
	ToYear    int       `json:"to_year"`    // last year
	Sources   []string  `json:"sources"`    // sources counted
	SplitNote bool      `json:"split_note"` // some figures include data of split old units
}

// Status reports on the engine.
func (e *Engine) Status() Status {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.st
	s := Status{Live: st.live, AsOf: st.asOf, Watermark: st.watermark, FromYear: st.ax.from, ToYear: st.ax.to,
		Sources: e.order, SplitNote: len(st.splits) > 0}
	for _, es := range st.ents {
		s.Entities += es.count
		s.ArenaMiB += float64(len(es.arena)) / (1 << 20)
	}
	return s
}

// ensureLive builds from the facts if that has not been done.
func (e *Engine) ensureLive(ctx context.Context) error {
	e.mu.RLock()
	live := e.st.live
	e.mu.RUnlock()
	if live {
		return nil
	}
	return e.Build(ctx)
}

const maxSeqSQL = `SELECT COALESCE(MAX(seq), 0) FROM indicator_changes`

// replayFrom is the feed position a build starts applying changes from:
// changes written in the minute before the load began may belong to
// transactions the load did not see (PostgreSQL commits out of order).
const replaySQL = `SELECT COALESCE(MIN(seq), 0) FROM indicator_changes WHERE at >= $1`

// Build loads every source's facts and computes the roll-ups afresh, then
// swaps them in. Changes made meanwhile are applied by the next Poll.
func (e *Engine) Build(ctx context.Context) error {
	e.buildMu.Lock()
	defer e.buildMu.Unlock()
	start := e.now()
	var top, from int64
	if err := e.db.Read().QueryRowContext(ctx, maxSeqSQL).Scan(&top); err != nil {
		return fmt.Errorf("indicators: read feed: %w", err)
	}
	if err := e.db.Read().QueryRowContext(ctx, replaySQL, start.Add(-time.Minute).UnixMilli()).Scan(&from); err != nil {
		return fmt.Errorf("indicators: read feed: %w", err)
	}
	watermark := top
	if from > 0 && from-1 < watermark {
		watermark = from - 1
	}
	cat := e.Catalogue()
	st := e.emptyState(cat)
	buf := make([]byte, 0, 256)
	var dec []fact
	for _, name := range e.order {
		src := e.sources[name]
		es, c := st.ents[name], st.calcs[name]
		sk := cubeSink{k: st.cube, u: e.units, sign: 1}
		err := src.Load(ctx, e.db.Read(), func(ent facts.Entity) error {
			buf = encodeEntity(buf[:0], e.units, ent.Facts)
			if len(ent.Facts) == 0 {
				return nil
			}
			var err error
			dec, err = decodeEntity(buf, dec)
			if err != nil {
				return err
			}
			c.contribute(dec, sk)
			st.note(dec, 1)
			es.put(ent.Key, buf)
			es.index(e.units, ent.Key, nil, dec)
			return nil
		})
		if err != nil {
			return fmt.Errorf("indicators: load %s: %w", name, err)
		}
	}
	st.watermark, st.applied, st.live, st.asOf = watermark, watermark, true, e.now()
	e.mu.Lock()
	e.st = st
	e.mu.Unlock()
	e.log.Info("indicators built", "ms", e.now().Sub(start).Milliseconds(), "watermark", watermark)
	return nil
}

// note counts the facts mapped from split old units and from unknown codes.
func (st *state) note(fs []fact, sign int64) {
	for _, f := range fs {
		if f.split != 0 {
			k := splitKey{old: f.split, unit: f.unit, year: int(f.on / 10000)}
			st.splits[k] += sign
			if st.splits[k] == 0 {
				delete(st.splits, k)
			}
		}
	}
}

// index records under which communes an entity's facts lie.
func (s *entityStore) index(u *units, key int64, before, after []fact) {
	for _, f := range after {
		if !u.isCommune(f.unit) {
			continue
		}
		had := false
		for _, b := range before {
			if b.unit == f.unit {
				had = true
				break
			}
		}
		if had {
			continue
		}
		ci := u.communeIdx(f.unit)
		l := s.byCommune[ci]
		if n := len(l); n > 0 && l[n-1] == key {
			continue
		}
		s.byCommune[ci] = append(l, key)
	}
}

const feedSQL = `SELECT seq, source, entity FROM indicator_changes WHERE seq > $1 ORDER BY seq LIMIT 5000`

// RunDue reads the change feed if a poll interval has passed on the
// engine's clock. Tests move the clock and call it.
func (e *Engine) RunDue(ctx context.Context) (int, error) {
	if now := e.now(); now.Sub(e.lastPoll) >= e.cfg.Poll {
		return e.Poll(ctx)
	}
	return 0, nil
}

// Poll applies the changes written to the feed since the last poll and
// returns how many entities it refreshed.
func (e *Engine) Poll(ctx context.Context) (int, error) {
	if err := e.ensureLive(ctx); err != nil {
		return 0, err
	}
	e.pollMu.Lock()
	defer e.pollMu.Unlock()
	e.lastPoll = e.now()
	if e.axis().to > e.current().ax.to {
		if err := e.Rebuild(ctx); err != nil {
			return 0, err
		}
	}
	total := 0
	for {
		n, more, err := e.pollOnce(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// current returns the state queries read now.
func (e *Engine) current() *state {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.st
}

func (e *Engine) pollOnce(ctx context.Context) (applied int, more bool, err error) {
	e.mu.RLock()
	st := e.st
	watermark, appliedTo := st.watermark, st.applied
	e.mu.RUnlock()
	rows, err := e.db.Read().QueryContext(ctx, feedSQL, watermark)
	if err != nil {
		return 0, false, fmt.Errorf("indicators: read feed: %w", err)
	}
	type change struct {
		seq    int64
		source string
		key    int64
	}
	var changes []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.seq, &c.source, &c.key); err != nil {
			rows.Close()
			return 0, false, err
		}
		changes = append(changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	if len(changes) == 0 {
		return 0, false, nil
	}
	// Gaps in the sequence are transactions not yet committed (or rolled
	// back): wait for them a while before moving past.
	now := e.now()
	newHoles := map[int64]time.Time{}
	expect := watermark + 1
	keys := map[string][]int64{}
	seen := map[string]map[int64]bool{}
	maxSeq := watermark
	for _, c := range changes {
		for s := expect; s < c.seq && s-expect < 1000; s++ {
			if s > appliedTo || st.holes[s] != (time.Time{}) {
				first, ok := st.holes[s]
				if !ok {
					first = now
				}
				if now.Sub(first) < e.cfg.HoleWait {
					newHoles[s] = first
				}
			}
		}
		expect = c.seq + 1
		maxSeq = c.seq
		if c.seq <= appliedTo {
			if _, wasHole := st.holes[c.seq]; !wasHole {
				continue // applied by an earlier poll
			}
		}
		if seen[c.source] == nil {
			seen[c.source] = map[int64]bool{}
		}
		if !seen[c.source][c.key] {
			seen[c.source][c.key] = true
			keys[c.source] = append(keys[c.source], c.key)
		}
	}
	// Read the entities' facts now, outside the lock.
	fresh := map[string][]facts.Entity{}
	for name, ks := range keys {
		src, ok := e.sources[name]
		if !ok {
			continue // a source this instance does not count
		}
		ents, err := src.Get(ctx, e.db.Read(), ks)
		if err != nil {
			return 0, false, fmt.Errorf("indicators: read %s: %w", name, err)
		}
		got := map[int64]bool{}
		for _, en := range ents {
			got[en.Key] = true
		}
		for _, k := range ks {
			if !got[k] {
				ents = append(ents, facts.Entity{Key: k}) // gone
			}
		}
		fresh[name] = ents
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != st {
		return 0, true, nil // rebuilt meanwhile: read again from its position
	}
	var buf []byte
	var before, after []fact
	for name, ents := range fresh {
		es, c := st.ents[name], st.calcs[name]
		for _, en := range ents {
			before, after = before[:0], after[:0]
			if old := es.get(en.Key); old != nil {
				before, err = decodeEntity(old, before)
				if err != nil {
					return applied, false, err
				}
				c.contribute(before, cubeSink{k: st.cube, u: e.units, sign: -1})
				st.note(before, -1)
			}
			buf = encodeEntity(buf[:0], e.units, en.Facts)
			if len(en.Facts) > 0 {
				after, err = decodeEntity(buf, after)
				if err != nil {
					return applied, false, err
				}
				c.contribute(after, cubeSink{k: st.cube, u: e.units, sign: 1})
				st.note(after, 1)
				es.put(en.Key, buf)
				es.index(e.units, en.Key, before, after)
			} else {
				es.put(en.Key, nil)
			}
			applied++
		}
	}
	st.holes = newHoles
	st.applied = max(st.applied, maxSeq)
	st.watermark = maxSeq
	for s := range newHoles {
		st.watermark = min(st.watermark, s-1)
	}
	st.asOf = e.now()
	return applied, len(changes) == 5000, nil
}

// Rebuild recomputes the roll-ups from the stored facts, for a new
// catalogue or a new year; the facts are not read again.
func (e *Engine) Rebuild(ctx context.Context) error {
	return e.rebuildWith(ctx, nil)
}

func (e *Engine) rebuildWith(ctx context.Context, cat *Catalogue) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.st
	if cat == nil {
		cat = old.cat
	}
	if !old.live {
		old.cat = cat
		e.st = old
		return nil
	}
	ax := e.axis()
	st := &state{cat: cat, ax: ax, cube: newCube(cat, ax, e.units.nProv(), len(e.units.communes)), ents: old.ents,
		calcs: map[string]*calc{}, watermark: old.watermark, applied: old.applied, holes: old.holes, live: true,
		asOf: old.asOf, splits: old.splits, lastSnap: old.lastSnap}
	var dec []fact
	var err error
	for name, es := range st.ents {
		c := newCalc(cat, ax, name)
		st.calcs[name] = c
		sk := cubeSink{k: st.cube, u: e.units, sign: 1}
		es.each(func(key int64, enc []byte) {
			if err != nil {
				return
			}
			dec, err = decodeEntity(enc, dec)
			if err == nil {
				c.contribute(dec, sk)
			}
		})
		if err != nil {
			return err
		}
	}
	e.st = st
	return nil
}

// Start builds in the background, then polls the feed every second and
// saves the roll-ups now and then, until ctx ends.
func (e *Engine) Start(ctx context.Context) {
	go func() {
		if err := e.ensureLive(ctx); err != nil {
			if ctx.Err() == nil {
				e.log.Error("indicators: first load failed", "err", err.Error())
			}
		}
		t := time.NewTicker(e.cfg.Poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := e.Poll(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("indicators: poll", "err", err.Error())
			}
			e.mu.RLock()
			due := e.st.live && e.now().Sub(e.st.lastSnap) >= e.cfg.SnapshotEvery
			e.mu.RUnlock()
			if due {
				if err := e.SaveSnapshot(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("indicators: snapshot", "err", err.Error())
				}
			}
		}
	}()
}

// ---- snapshots ----

type snapshot struct {
	From, To  int
	Watermark int64
	AsOf      int64
	Prov      [][]int64
	Comm      [][][]int64
	Splits    []snapSplit
}

type snapSplit struct {
	Old   string
	Unit  int
	Year  int
	Count int64
}

// SaveSnapshot writes the roll-ups to the database (and prunes the feed
// of changes older than a day, which every instance has applied).
func (e *Engine) SaveSnapshot(ctx context.Context) error {
	e.mu.RLock()
	st := e.st
	if !st.live {
		e.mu.RUnlock()
		return nil
	}
	snap := snapshot{From: st.ax.from, To: st.ax.to, Watermark: st.watermark, AsOf: e.now().UnixMilli(),
		Prov: st.cube.prov, Comm: st.cube.comm}
	for k, n := range st.splits {
		snap.Splits = append(snap.Splits, snapSplit{Old: internName(k.old), Unit: k.unit, Year: k.year, Count: n})
	}
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	err := gob.NewEncoder(zw).Encode(&snap)
	e.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	fp := st.cat.fingerprint()
	now := e.now()
	err = e.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO indicator_snapshots (id, watermark, built_at, fingerprint, data)
			VALUES (1, $1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET watermark = excluded.watermark, built_at = excluded.built_at,
				fingerprint = excluded.fingerprint, data = excluded.data
			WHERE indicator_snapshots.watermark <= excluded.watermark OR indicator_snapshots.fingerprint <> excluded.fingerprint`,
			snap.Watermark, now.UnixMilli(), fp, buf.Bytes())
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM indicator_changes WHERE at < $1 AND seq < $2`,
			now.Add(-24*time.Hour).UnixMilli(), snap.Watermark)
		return err
	})
	if err != nil {
		return fmt.Errorf("indicators: save snapshot: %w", err)
	}
	e.mu.Lock()
	st.lastSnap = now
	e.mu.Unlock()
	return nil
}

// readSnapshot restores the last saved roll-ups, if they were made with
// the same measures and cover the same years.
func (e *Engine) readSnapshot(ctx context.Context, cat *Catalogue) (*state, error) {
	var fp string
	var data []byte
	var builtAt int64
	err := e.db.Read().QueryRowContext(ctx, `SELECT fingerprint, built_at, data FROM indicator_snapshots WHERE id = 1`).Scan(&fp, &builtAt, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fp != cat.fingerprint() {
		return nil, nil // made with other measures
	}
	var snap snapshot
	if err := gob.NewDecoder(flate.NewReader(bytes.NewReader(data))).Decode(&snap); err != nil {
		return nil, err
	}
	ax := e.axis()
	if snap.From != ax.from || snap.To != ax.to || len(snap.Prov) != len(cat.Measures) {
		return nil, nil
	}
	st := e.emptyState(cat)
	for i := range snap.Prov {
		if len(snap.Prov[i]) != len(st.cube.prov[i]) || len(snap.Comm[i]) != len(st.cube.comm[i]) {
			return nil, nil
		}
	}
	st.cube.prov, st.cube.comm = snap.Prov, snap.Comm
	for _, s := range snap.Splits {
		st.splits[splitKey{old: internID(s.Old), unit: s.Unit, year: s.Year}] = s.Count
	}
	st.watermark, st.asOf, st.restored = snap.Watermark, time.UnixMilli(snap.AsOf), true
	return st, nil
}

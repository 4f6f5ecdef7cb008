package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/geo"
	"treem/internal/i18n"
	"treem/internal/jobs"
	"treem/internal/store"
)

// DeadlineConfig tunes the deadline scanner.
type DeadlineConfig struct {
	// Every is how often the scanner runs (one job per period, whatever
	// the number of instances). 0: 5 minutes.
	Every time.Duration
	// LeadDays: a working-day deadline is reminded at the start of its
	// last LeadDays working days (1: on the morning of the day it is due).
	// LeadHours: a deadline counted in hours (the 12-hour emergency clock)
	// is reminded LeadHours before it. 0: 1 day, 2 hours.
	LeadDays  int
	LeadHours time.Duration
	// A deadline past due escalates at once to level 1 (the commune's other
	// officers; the assignee hears it is overdue), and to level 2 (the
	// province's officers) Level2Days working days after it (Level2Hours
	// for hour deadlines). 0: 1 day, 2 hours.
	Level2Days  int
	Level2Hours time.Duration
	// Batch is how many deadlines one transaction handles. 0: 500.
	Batch int
}

func (c *DeadlineConfig) defaults() {
	if c.Every <= 0 {
		c.Every = 5 * time.Minute
	}
	if c.LeadDays <= 0 {
		c.LeadDays = 1
	}
	if c.LeadHours <= 0 {
		c.LeadHours = 2 * time.Hour
	}
	if c.Level2Days <= 0 {
		c.Level2Days = 1
	}
	if c.Level2Hours <= 0 {
		c.Level2Hours = 2 * time.Hour
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
}

// Deadlines is the deadline scanner: it reads the open rows of
// case_deadlines, reminds the assignee before a deadline and escalates
// after it, each exactly once. The mark (reminded_at, escalation) is a
// conditional update in the transaction that writes the notifications and
// the case's timeline entry, so a pass run twice, or by two instances at
// once, notifies nobody twice; and nothing is marked without its
// notifications.
type Deadlines struct {
	db     *store.DB
	notify *Service
	auth   *auth.Service
	audit  *audit.Log
	jobs   *jobs.Queue
	rules  func(context.Context) ([]cases.Rule, error)
	units  *geo.Units
	now    func() time.Time
	cfg    DeadlineConfig
}

// jobDeadlines is the scanner's job kind: one per period, unique key
// deadlines:PERIOD, each enqueueing the next.
const jobDeadlines = "notify.deadlines"

// NewDeadlines returns the scanner and registers its job; Schedule starts
// the chain of periodic jobs.
func NewDeadlines(n *Service, a *auth.Service, al *audit.Log, rules func(context.Context) ([]cases.Rule, error), cfg DeadlineConfig) *Deadlines {
	cfg.defaults()
	d := &Deadlines{db: n.db, notify: n, auth: a, audit: al, jobs: n.jobs, rules: rules, units: geo.Default(), now: n.now, cfg: cfg}
	if d.jobs != nil {
		d.jobs.Handle(jobDeadlines, d.job)
	}
	return d
}

type periodArgs struct {
	At int64 `json:"at"` // the period's start, ms
}

// Schedule makes sure the job of the current period exists (every
// instance calls it at start-up; the unique key keeps one).
func (d *Deadlines) Schedule(ctx context.Context) error {
	return d.db.Write(ctx, func(tx *store.Tx) error { return d.enqueue(ctx, tx, d.period(d.now())) })
}

func (d *Deadlines) period(t time.Time) time.Time { return t.Truncate(d.cfg.Every) }

func (d *Deadlines) enqueue(ctx context.Context, tx *store.Tx, at time.Time) error {
	ms := store.Millis(at)
	return d.jobs.Enqueue(ctx, tx, jobDeadlines, periodArgs{At: ms}, jobs.Opts{RunAt: at,
		UniqueKey: "deadlines:" + strconv.FormatInt(ms, 10), MaxAttempts: 5})
}

// job runs one period's pass. The next period's job is enqueued first, so
// a failing pass does not break the chain; after a long stop the next
// period is the one after now, not every period missed.
func (d *Deadlines) job(ctx context.Context, j jobs.Job) error {
	now := d.now()
	if err := d.db.Write(ctx, func(tx *store.Tx) error { return d.enqueue(ctx, tx, d.period(now).Add(d.cfg.Every)) }); err != nil {
		return err
	}
	_, err := d.Scan(ctx, now)
	return err
}

// ScanResult counts what a pass did.
type ScanResult struct {
	Read        int // open deadlines looked at
	Reminders   int
	Escalations int // level 1 and 2
	Notified    int // notifications written
}

// due is an open deadline the scanner looks at.
type due struct {
	id, caseID         int64
	what, number       string
	commune, province  string
	dueAt              time.Time
	reminded           bool
	escalation         int
	assignee           int64
	hours              bool // counted in hours (the emergency clock)
	notifyRemind       bool // send the reminder
	escalateFrom, upTo int  // escalate from this level up to that one
}

// planned is one message of a deadline's step (level 0: the reminder).
type planned struct {
	m     Message
	level int
}

const scanQuery = `SELECT d.id, d.case_id, d.what, d.due_at, d.reminded_at, d.escalation, d.commune, d.province,
	d.assigned_to, c.number
	FROM case_deadlines d JOIN cases c ON c.id = d.case_id
	WHERE d.done_at IS NULL AND d.escalation < 2 AND d.due_at <= $1
	AND (d.reminded_at IS NULL OR (d.escalation = 0 AND d.due_at < $2) OR (d.escalation = 1 AND d.due_at <= $3))
	AND (d.due_at > $4 OR (d.due_at = $4 AND d.id > $5))
	ORDER BY d.due_at, d.id LIMIT $6`

// Scan runs one pass at time now: every open deadline that needs a
// reminder or an escalation gets it, in transactions of Batch deadlines.
func (d *Deadlines) Scan(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	rs, err := d.rules(ctx)
	if err != nil {
		return res, err
	}
	hourly := map[string]bool{cases.DueEmergency: true}
	for _, r := range rs {
		hourly[r.What] = r.Hours > 0
	}
	// Reminders: hour deadlines within LeadHours; working-day deadlines due
	// by the end of the LeadDays-th working day counting today.
	dayHorizon, err := cases.AddWorkingDays(ctx, d.db.Read(), now, d.cfg.LeadDays-1)
	if err != nil {
		return res, err
	}
	horizon := dayHorizon
	if h := now.Add(d.cfg.LeadHours); h.After(horizon) {
		horizon = h
	}
	// Level 2 comes at the earliest Level2Hours after the deadline.
	level2 := now.Add(-min(d.cfg.Level2Hours, 24*time.Hour))
	level2Day := map[string]time.Time{} // a due day → when its level 2 falls
	rc := &recipientCache{auth: d.auth, byRole: map[string][]auth.Recipient{}, byID: map[int64]auth.Recipient{}}
	afterDue, afterID := int64(-1<<62), int64(0)
	for {
		rows, err := d.db.Read().QueryContext(ctx, scanQuery, store.Millis(horizon), store.Millis(now), store.Millis(level2),
			afterDue, afterID, d.cfg.Batch)
		if err != nil {
			return res, fmt.Errorf("deadline scan: %w", err)
		}
		var batch []*due
		for rows.Next() {
			var x due
			var dueMs int64
			var reminded, assignee sql.NullInt64
			if err := rows.Scan(&x.id, &x.caseID, &x.what, &dueMs, &reminded, &x.escalation, &x.commune, &x.province,
				&assignee, &x.number); err != nil {
				rows.Close()
				return res, err
			}
			x.dueAt, x.reminded, x.assignee, x.hours = store.Time(dueMs), reminded.Valid, assignee.Int64, hourly[x.what]
			batch = append(batch, &x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
		res.Read += len(batch)
		if len(batch) == 0 {
			return res, nil
		}
		last := batch[len(batch)-1]
		afterDue, afterID = store.Millis(last.dueAt), last.id

		var todo []*due
		for _, x := range batch {
			target := 0
			if now.After(x.dueAt) {
				target = 1
				var at time.Time
				if x.hours {
					at = x.dueAt.Add(d.cfg.Level2Hours)
				} else {
					day := x.dueAt.In(i18n.Vietnam).Format("20060102")
					t, ok := level2Day[day]
					if !ok {
						if t, err = cases.AddWorkingDays(ctx, d.db.Read(), x.dueAt, d.cfg.Level2Days); err != nil {
							return res, err
						}
						level2Day[day] = t
					}
					at = t
				}
				if !now.Before(at) {
					target = 2
				}
			}
			remind := !x.reminded && target == 0 && !x.dueAt.After(horizonFor(x, now, dayHorizon, d.cfg.LeadHours))
			if !remind && target <= x.escalation {
				continue
			}
			x.notifyRemind, x.escalateFrom, x.upTo = remind, x.escalation, target
			todo = append(todo, x)
		}
		if len(todo) > 0 {
			if err := d.act(ctx, now, todo, rc, &res); err != nil {
				return res, err
			}
		}
		if len(batch) < d.cfg.Batch {
			return res, nil
		}
	}
}

func horizonFor(x *due, now, dayHorizon time.Time, leadHours time.Duration) time.Time {
	if x.hours {
		return now.Add(leadHours)
	}
	return dayHorizon
}

// act writes one batch's reminders and escalations in one transaction.
func (d *Deadlines) act(ctx context.Context, now time.Time, todo []*due, rc *recipientCache, res *ScanResult) error {
	// Recipients are read before the transaction (and cached for the pass).
	plans := map[*due][]planned{}
	for _, x := range todo {
		args := map[string]string{"case_id": strconv.FormatInt(x.caseID, 10), "number": x.number, "what": x.what,
			"due": i18n.DateTime(x.dueAt), "commune": d.unitName(x.commune)}
		link := "/cases/" + strconv.FormatInt(x.caseID, 10)
		key := "deadline:" + strconv.FormatInt(x.id, 10) + ":"
		assignee, err := rc.assignee(ctx, x)
		if err != nil {
			return err
		}
		if x.notifyRemind {
			plans[x] = append(plans[x], planned{m: Message{To: assignee, Kind: "deadline.reminder", Args: args, Link: link, Key: key + "reminder"}})
		}
		for lvl := x.escalateFrom + 1; lvl <= x.upTo; lvl++ {
			var to []auth.Recipient
			switch lvl {
			case 1:
				officers, err := rc.role(ctx, auth.CommuneOfficer, x.commune)
				if err != nil {
					return err
				}
				to = slices.DeleteFunc(slices.Clone(officers), func(r auth.Recipient) bool { return r.ID == x.assignee })
				if x.assignee != 0 {
					plans[x] = append(plans[x], planned{m: Message{To: assignee, Kind: "deadline.overdue", Args: args, Link: link,
						Key: key + "overdue"}, level: lvl})
				}
			case 2:
				if to, err = rc.role(ctx, auth.ProvinceOfficer, x.province); err != nil {
					return err
				}
			}
			plans[x] = append(plans[x], planned{m: Message{To: to, Kind: "deadline.escalation" + strconv.Itoa(lvl), Args: args, Link: link,
				Key: key + "escalation" + strconv.Itoa(lvl)}, level: lvl})
		}
	}
	actx := audit.WithActor(ctx, audit.System)
	// Group the deadlines by what they go through, to claim each group
	// with one statement.
	type step struct{ from, to int } // {-1, 0}: the reminder
	groups := map[step][]*due{}
	var order []step
	for _, x := range todo {
		st := step{-1, 0}
		if !x.notifyRemind {
			st = step{x.escalateFrom, x.upTo}
		}
		if _, ok := groups[st]; !ok {
			order = append(order, st)
		}
		groups[st] = append(groups[st], x)
	}
	var r ScanResult
	err := d.db.Write(ctx, func(tx *store.Tx) error {
		r = ScanResult{}
		var msgs []Message
		var events []cases.CaseEvent
		for _, st := range order {
			xs := groups[st]
			// A conditional update claims each step: a pass that got here
			// first (another instance, a rerun) has told everyone already.
			var claimed map[int64]bool
			var err error
			if st.from < 0 {
				claimed, err = claimAll(ctx, tx, xs, `UPDATE case_deadlines SET reminded_at = $1
					WHERE reminded_at IS NULL AND done_at IS NULL AND escalation = 0 AND id IN `, store.Millis(now))
			} else {
				claimed, err = claimAll(ctx, tx, xs, `UPDATE case_deadlines SET escalation = $1, reminded_at = COALESCE(reminded_at, $2)
					WHERE escalation = $3 AND done_at IS NULL AND id IN `, st.to, store.Millis(now), st.from)
			}
			if err != nil {
				return err
			}
			for _, x := range xs {
				if !claimed[x.id] {
					continue
				}
				detail := func(lvl int) map[string]any {
					m := map[string]any{"deadline": x.id, "what": x.what, "due_at": x.dueAt}
					if lvl > 0 {
						m["level"] = lvl
					}
					return m
				}
				for _, p := range plans[x] {
					msgs = append(msgs, p.m)
				}
				if st.from < 0 {
					r.Reminders++
					events = append(events, cases.CaseEvent{CaseID: x.caseID, Event: cases.Event{At: now, ActorName: "treem",
						Kind: "deadline.reminder", Detail: detail(0)}})
					continue
				}
				for lvl := st.from + 1; lvl <= st.to; lvl++ {
					r.Escalations++
					events = append(events, cases.CaseEvent{CaseID: x.caseID, Event: cases.Event{At: now, ActorName: "treem",
						Kind: "deadline.escalated", Detail: detail(lvl)}})
				}
			}
		}
		if len(events) == 0 {
			return nil
		}
		n, err := d.notify.NotifyAll(ctx, tx, msgs)
		if err != nil {
			return err
		}
		r.Notified = n
		if err := cases.AppendEvents(ctx, tx, events); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]int{"reminders": r.Reminders, "escalations": r.Escalations, "notified": r.Notified})
		return d.audit.Append(actx, tx, audit.Event{Action: "deadlines.scan", RecordType: "case_deadline", Detail: string(detail)})
	})
	if err != nil {
		return err
	}
	res.Reminders += r.Reminders
	res.Escalations += r.Escalations
	res.Notified += r.Notified
	return nil
}

// claimAll runs update (ending in "id IN ") on the deadlines xs, 100 at
// a time, and returns the ids it changed.
func claimAll(ctx context.Context, tx *store.Tx, xs []*due, update string, args ...any) (map[int64]bool, error) {
	out := make(map[int64]bool, len(xs))
	chunk := 2 * rowsPerStatement(tx)
	for start := 0; start < len(xs); start += chunk {
		part := xs[start:min(start+chunk, len(xs))]
		a := slices.Clone(args)
		ph := make([]string, len(part))
		for i, x := range part {
			a = append(a, x.id)
			ph[i] = "$" + strconv.Itoa(len(a))
		}
		rows, err := tx.QueryContext(ctx, update+"("+strings.Join(ph, ", ")+") RETURNING id", a...)
		if err != nil {
			return nil, fmt.Errorf("mark deadlines: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *Deadlines) unitName(code string) string {
	if u, ok := d.units.Get(code); ok {
		return u.FullName
	}
	return code
}

// recipientCache reads the officers once per pass that acts (one query),
// and an assignee who is not an officer on demand.
type recipientCache struct {
	auth   *auth.Service
	loaded bool
	byRole map[string][]auth.Recipient // role|unit
	byID   map[int64]auth.Recipient
}

func (c *recipientCache) load(ctx context.Context) error {
	if c.loaded {
		return nil
	}
	rs, err := c.auth.RecipientsOfRoles(ctx, auth.CommuneOfficer, auth.ProvinceOfficer)
	if err != nil {
		return err
	}
	for _, r := range rs {
		k := string(r.Role) + "|" + r.Unit
		c.byRole[k] = append(c.byRole[k], r)
		c.byID[r.ID] = r
	}
	c.loaded = true
	return nil
}

func (c *recipientCache) role(ctx context.Context, role auth.Role, unit string) ([]auth.Recipient, error) {
	if err := c.load(ctx); err != nil {
		return nil, err
	}
	return c.byRole[string(role)+"|"+unit], nil
}

// assignee is whom a deadline's reminder goes to: its officer, or when
// none is assigned the commune's officers.
func (c *recipientCache) assignee(ctx context.Context, x *due) ([]auth.Recipient, error) {
	if err := c.load(ctx); err != nil {
		return nil, err
	}
	if x.assignee == 0 {
		return c.byRole[string(auth.CommuneOfficer)+"|"+x.commune], nil
	}
	if r, ok := c.byID[x.assignee]; ok {
		return []auth.Recipient{r}, nil
	}
	rs, err := c.auth.Recipients(ctx, []int64{x.assignee})
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	c.byID[x.assignee] = rs[0]
	return rs, nil
}

package cases

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"treem/internal/children"
	"treem/internal/geo"
	"treem/internal/i18n"
	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// GenOptions says how many cases Generate writes and over which years.
type GenOptions struct {
	Cases     int // 50,000 is about ten years of the nation's cases
	FirstYear int // reports are received from 1 January of this year
	LastYear  int // to 31 December of this one (Vietnam time), never after At
	Seed      uint64
	At        time.Time // now: the cases stand as they would at this time (time.Now when zero)
}

// Generate writes invented cases straight into the case tables, in large
// batches, for the benchmarks and for trying the indicators at national
// scale. Reports are received over the years asked, in every commune, more
// by day than by night. Each case then goes through the procedure as the
// service records it (steps, timeline, deadlines in working days from the
// holiday calendar, assessments, emergency measures, plans and their
// approval, reviews) up to At: most are closed; those still under way at
// At stay open at their step with their deadlines, some overdue.
//
// About one case in four is an emergency (high risk from the report): its
// measure is decided within 12 hours four times in five. Plans are
// submitted within their 5 working days about five times in six and
// approved in time nine times in ten; one in twenty is sent back once.
// About one case in five closes early (unfounded, or no risk found). One
// in twelve of the last year's is stuck in planning or approval, its
// deadline running out (the overdue lists' work).
//
// Each case has one to three children: a registry child (two in five, when
// the registry has children; the case is in the child's commune), a child
// of an earlier invented case (one in ten), or a child the case registers
// (children.RegisterInvented), with siblings registered alongside. Case
// numbers follow CCCCC-YYYY-NNNNNN from the number counters, which move on
// so that cases created later do not collide. Nothing sealed is written
// (summaries, reports, perpetrators stay NULL), nor audit entries or
// assigned officers. It touches the indicators' change feed like any write.
func Generate(ctx context.Context, db *store.DB, o GenOptions, progress func(done int)) error {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	if o.Cases <= 0 {
		return nil
	}
	if o.LastYear == 0 {
		o.LastYear = o.At.In(i18n.Vietnam).Year()
	}
	if o.FirstYear == 0 || o.FirstYear > o.LastYear {
		o.FirstYear = o.LastYear
	}
	from := time.Date(o.FirstYear, 1, 1, 0, 0, 0, 0, i18n.Vietnam)
	to := time.Date(o.LastYear+1, 1, 1, 0, 0, 0, 0, i18n.Vietnam)
	if o.At.Before(to) {
		to = o.At
	}
	if !to.After(from) {
		return fmt.Errorf("generate cases: %d is after now", o.FirstYear)
	}
	g, err := newGenerator(ctx, db, o)
	if err != nil {
		return err
	}
	// Reports in the order received, so that ids and numbers follow time.
	received := make([]int64, o.Cases)
	for i := range received {
		received[i] = g.receivedAt(store.Millis(from), store.Millis(to))
	}
	slices.Sort(received)
	const batch = 500
	for done := 0; done < o.Cases; {
		n := min(batch, o.Cases-done)
		if err := g.batch(ctx, db, received[done:done+n]); err != nil {
			return err
		}
		done += n
		if progress != nil {
			progress(done)
		}
	}
	if db.Engine == store.Postgres {
		// Explicit ids do not move the identity sequence.
		return db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))`)
			return err
		})
	}
	return nil
}

const (
	minute = int64(time.Minute / time.Millisecond)
	hour   = 60 * minute
	day    = 24 * hour
)

// Weighted choices of the generator (a code repeated is more likely).
var (
	genSources  = []string{"hotline", "hotline", "hotline", "hotline", "hotline", "commune", "commune", "commune", "commune", "police", "police", "police", "school", "school", "health", "family", "family", "neighbour", "child", "media", "other"}
	genForms    = []string{"bao_luc", "bao_luc", "bao_luc", "boc_lot", "xam_hai_tinh_duc", "xam_hai_tinh_duc", "mua_ban", "bo_roi", "bo_mat", "tao_hon", "bat_coc", "khac"}
	genSettings = []string{"home", "home", "home", "home", "school", "community", "community", "online", "online", "workplace"}
	genMeasures = []string{"medical", "medical", "shelter", "shelter", "separation", "separation", "alternative_care", "police", "police", "other"}
)

type counterKey struct {
	commune string
	year    int
}

// generator holds what Generate reads once and what carries from batch to
// batch.
type generator struct {
	o         GenOptions
	r         *rand.Rand
	cut       int64 // At, in milliseconds
	rules     []Rule
	emergency int64 // the emergency rule's hours, in milliseconds
	holidays  map[int]bool
	units     *geo.Units
	communes  []geo.Unit
	counters  map[counterKey]int64
	nextID    int64
	pool      []children.Registered // children of the cases written so far
	batches   uint64
}

func newGenerator(ctx context.Context, db *store.DB, o GenOptions) (*generator, error) {
	q := db.Read()
	g := &generator{o: o, r: rand.New(rand.NewPCG(o.Seed, 47)), cut: store.Millis(o.At), units: geo.Default(),
		counters: map[counterKey]int64{}}
	g.communes = g.units.Communes("")
	var err error
	if g.rules, err = rules(ctx, q); err != nil {
		return nil, err
	}
	g.emergency = int64(emergencyRule(ctx, q).Hours) * hour
	if g.holidays, err = exceptions(ctx, q, (o.FirstYear-1)*10000, (o.LastYear+2)*10000); err != nil {
		return nil, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM cases`).Scan(&g.nextID); err != nil {
		return nil, err
	}
	g.nextID++
	rows, err := q.QueryContext(ctx, `SELECT commune, year, last FROM case_counters`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k counterKey
		var last int64
		if err := rows.Scan(&k.commune, &k.year, &last); err != nil {
			return nil, err
		}
		g.counters[k] = last
	}
	return g, rows.Err()
}

// between is a random time in [lo, hi) (lo when the span is empty).
func (g *generator) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + g.r.Int64N(hi-lo)
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

// receivedAt is a random time in [from, to), three times in four by day
// (07:00–20:00 in Vietnam).
func (g *generator) receivedAt(from, to int64) int64 {
	t := g.between(from, to)
	if g.r.IntN(4) != 0 {
		vn := time.UnixMilli(t).In(i18n.Vietnam)
		midnight := time.Date(vn.Year(), vn.Month(), vn.Day(), 0, 0, 0, 0, i18n.Vietnam)
		t = store.Millis(midnight) + g.between(7*hour, 20*hour)
	}
	return min(max(t, from), to-1)
}

// genCase is one invented case: what it was opened with, then its record
// as the procedure builds it, cut at the generator's At.
type genCase struct {
	g        *generator
	rows     *genTables
	id       int64
	number   string
	commune  string
	province string
	source   string
	forms    []string
	kids     []kidRef
	received int64
	created  int64

	step        string
	stepAt      int64
	updated     int64
	version     int
	risk        string
	closeReason string
	closed      int64
	measure     bool
	stopped     bool
	stall       string // a step the case gets stuck in, its deadline running out
	steps       []genStep
	deadlines   []genDeadline
	plans       []genPlan
}

type genStep struct {
	step          string
	entered, left int64
}

type genDeadline struct {
	what, step         string
	due, done, created int64
}

type genPlan struct {
	seq                         int
	state                       string
	startsOn, endsOn            int
	created, submitted, decided int64
}

// kidRef is a child of a case: a registry id, or the index of a child the
// batch registers.
type kidRef struct {
	id    int64
	fresh int // index+1 in genTables.fresh
}

// reach moves the case's clock to t, or stops it (for good) when t is
// after At: the case stays as it stands.
func (c *genCase) reach(t int64) bool {
	if c.stopped || t > c.g.cut {
		c.stopped = true
		return false
	}
	c.updated = max(c.updated, t)
	return true
}

// event adds an entry to the timeline: a write that made a new version.
func (c *genCase) event(t int64, kind string, detail map[string]any) {
	c.version++
	b, _ := json.Marshal(detail)
	c.rows.events.add(c.id, t, kind, string(b), c.version)
}

// addDeadline opens a deadline unless one of the same kind is open.
func (c *genCase) addDeadline(what, step string, due, at int64) {
	for _, d := range c.deadlines {
		if d.what == what && d.done == 0 {
			return
		}
	}
	c.deadlines = append(c.deadlines, genDeadline{what: what, step: step, due: due, created: at})
}

// closeDeadlines marks open deadlines of a kind (all when what is "") done.
func (c *genCase) closeDeadlines(what string, at int64) {
	for i := range c.deadlines {
		if d := &c.deadlines[i]; d.done == 0 && (what == "" || d.what == what) {
			d.done = at
		}
	}
}

func (c *genCase) due(what string) (int64, bool) {
	for _, d := range c.deadlines {
		if d.what == what && d.done == 0 {
			return d.due, true
		}
	}
	return 0, false
}

// enter moves the case to a step at t, closing and opening deadlines as
// enterStep does.
func (c *genCase) enter(to string, t int64, detail map[string]any) bool {
	if !c.reach(t) {
		return false
	}
	from := c.step
	c.steps[len(c.steps)-1].left = t
	c.steps = append(c.steps, genStep{step: to, entered: t})
	if to == StepClosed {
		c.closeDeadlines("", t)
		c.closed = t
	} else {
		for _, r := range c.g.rules {
			if r.Step == from && r.What != DueEmergency {
				c.closeDeadlines(r.What, t)
			}
		}
		for _, r := range c.g.rules {
			if r.Step != to {
				continue
			}
			var due int64
			switch {
			case r.Hours > 0 && r.What == DueEmergency && c.measure:
				due = t + int64(r.Hours)*hour
			case r.Hours > 0:
				due = c.received + int64(r.Hours)*hour
			default:
				due = store.Millis(workingDaysAfter(time.UnixMilli(t), r.WorkingDays, c.g.holidays))
			}
			c.addDeadline(r.What, r.Step, due, t)
		}
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["from"], detail["to"] = from, to
	c.step, c.stepAt = to, t
	c.event(t, "step", detail)
	return true
}

func (c *genCase) close(t int64, reason string) {
	if c.enter(StepClosed, t, map[string]any{"close_reason": reason}) {
		c.closeReason = reason
	}
}

// assess records an assessment and sets the case's risk.
func (c *genCase) assess(kind, risk string, t int64) bool {
	if !c.reach(t) {
		return false
	}
	factors := map[string]string{}
	if kind == "detailed" {
		// One factor at the case's level, the others there or a level lower.
		lower := map[string]string{RiskHigh: RiskMedium, RiskMedium: RiskLow, RiskLow: RiskLow}
		top := c.g.r.IntN(len(Factors))
		for i, f := range Factors {
			factors[f] = risk
			if i != top && c.g.r.IntN(2) == 0 {
				factors[f] = lower[risk]
			}
		}
	}
	fj, _ := json.Marshal(factors)
	c.rows.assessments.add(c.id, kind, risk, string(fj), t)
	c.risk = risk
	c.event(t, "assessment", map[string]any{"kind": kind, "risk": risk, "factors": factors})
	return true
}

// open starts the case: its first step, the timeline's first entry and,
// for a high-risk report, the 12-hour clock.
func (c *genCase) open() {
	c.step, c.stepAt, c.updated = StepReceived, c.created, c.created
	c.steps = []genStep{{step: StepReceived, entered: c.created}}
	c.event(c.created, "created", map[string]any{"number": c.number, "source": c.source, "risk": c.risk,
		"abuse_forms": c.forms, "children": len(c.kids)})
	if c.risk == RiskHigh {
		c.addDeadline(DueEmergency, StepEmergency, c.received+c.g.emergency, c.created)
	}
}

// run takes the case through the procedure until it closes or reaches At.
func (c *genCase) run() {
	g := c.g
	t := c.created
	// One case in twelve of the last year gets stuck in planning or
	// approval: the overdue work of the lists and reminders.
	if g.r.IntN(12) == 0 && c.received > g.cut-365*day {
		c.stall = []string{StepPlanning, StepPlanning, StepPlanApproval}[g.r.IntN(3)]
	}
	if c.risk == RiskHigh {
		// Emergency: acted on within hours; the measure decided within
		// 12 hours of the report four times in five.
		t += g.between(10*minute, 3*hour)
		if !c.enter(StepEmergency, t, nil) {
			return
		}
		decided := c.received + 12*hour + g.between(30*minute, 60*hour)
		if g.r.IntN(5) != 0 {
			decided = g.between(t+10*minute, max(t+10*minute, c.received+11*hour+30*minute))
		}
		recorded := decided + g.between(0, 20*minute)
		if !c.reach(recorded) {
			return
		}
		measure := g.pick(genMeasures)
		c.rows.emergencies.add(c.id, measure, decided, recorded)
		c.measure = true
		c.closeDeadlines(DueEmergency, recorded)
		c.event(recorded, "emergency", map[string]any{"measure": measure})
		t = recorded + g.between(2*hour, 2*day)
		if !c.enter(StepDetailedAssessment, t, nil) {
			return
		}
		t += g.between(day, 3*day)
		if !c.assess("detailed", RiskHigh, t) {
			return
		}
	} else {
		// First action: mostly the same day, some after days.
		switch k := g.r.IntN(10); {
		case k < 6:
			t += g.between(30*minute, 12*hour)
		case k < 9:
			t += g.between(12*hour, 3*day)
		default:
			t += g.between(3*day, 10*day)
		}
		if g.r.IntN(3) != 0 {
			if !c.enter(StepVerifying, t, nil) {
				return
			}
			if g.r.IntN(7) == 0 {
				c.close(t+g.between(day, 7*day), "unfounded")
				return
			}
			t += g.between(day, 4*day)
		}
		if !c.enter(StepInitialAssessment, t, nil) {
			return
		}
		t += g.between(2*hour, 3*day)
		risk := []string{RiskMedium, RiskLow}[g.r.IntN(2)]
		if !c.assess("initial", risk, t) {
			return
		}
		if risk == RiskLow && g.r.IntN(3) == 0 {
			c.close(t+g.between(hour, 3*day), []string{"no_risk", "no_risk", "no_risk", "duplicate", "moved"}[g.r.IntN(5)])
			return
		}
		t += g.between(day, 4*day)
		if !c.enter(StepDetailedAssessment, t, nil) {
			return
		}
		t += g.between(day, 4*day)
		if !c.assess("detailed", []string{RiskMedium, RiskMedium, RiskLow}[g.r.IntN(3)], t) {
			return
		}
	}
	c.plan(t + g.between(2*hour, 3*day))
}

// plan drafts, submits and approves a plan (sent back once in twenty),
// carries it out, reviews it and closes the case.
func (c *genCase) plan(t int64) {
	g := c.g
	for seq := 1; ; seq++ {
		if c.step != StepPlanning && !c.enter(StepPlanning, t, nil) {
			return
		}
		if c.stall == StepPlanning {
			return
		}
		due, ok := c.due(DuePlan)
		if !ok {
			due = t + 7*day
		}
		submit := due + g.between(day, 10*day)
		if g.r.IntN(6) != 0 {
			submit = g.between(t+4*hour, max(t+4*hour, due))
		}
		drafted := g.between(t+hour, submit)
		if !c.reach(drafted) {
			return
		}
		starts := dayNum(time.UnixMilli(submit + 3*day))
		ends := dayNum(time.UnixMilli(submit + 3*day + g.between(90*day, 180*day)))
		c.plans = append(c.plans, genPlan{seq: seq, state: "draft", startsOn: starts, endsOn: ends, created: drafted})
		pl := &c.plans[len(c.plans)-1]
		c.event(drafted, "plan", map[string]any{"seq": seq})
		if !c.enter(StepPlanApproval, submit, nil) {
			return
		}
		pl.state, pl.submitted = "submitted", submit
		if c.stall == StepPlanApproval {
			return
		}
		adue, ok := c.due(DueApproval)
		if !ok {
			adue = submit + 5*day
		}
		decided := adue + g.between(day, 7*day)
		if g.r.IntN(10) != 0 {
			decided = g.between(submit+2*hour, max(submit+2*hour, adue))
		}
		if seq == 1 && g.r.IntN(20) == 0 {
			if !c.enter(StepPlanning, decided, map[string]any{"plan": "rejected"}) {
				return
			}
			pl.state, pl.decided = "rejected", decided
			t = decided
			continue
		}
		if !c.enter(StepImplementing, decided, map[string]any{"plan": "approved"}) {
			return
		}
		pl.state, pl.decided = "approved", decided
		t = decided
		break
	}
	for round := 0; ; round++ {
		t += g.between(20*day, 90*day)
		if !c.enter(StepReviewing, t, nil) {
			return
		}
		t += g.between(day, 10*day)
		if !c.reach(t) {
			return
		}
		outcome := "close"
		if round == 0 && g.r.IntN(10) == 0 {
			outcome = "continue"
		}
		c.rows.reviews.add(c.id, outcome, t)
		c.event(t, "review", map[string]any{"outcome": outcome})
		if outcome == "continue" {
			if !c.enter(StepImplementing, t, nil) {
				return
			}
			continue
		}
		c.close(t+g.between(0, 2*day), []string{"safe", "safe", "safe", "safe", "safe", "safe", "safe", "safe", "moved", "adult"}[g.r.IntN(10)])
		return
	}
}

// flush writes the case's own rows and those that changed as it went.
func (c *genCase) flush() {
	var closed any
	if c.closed != 0 {
		closed = c.closed
	}
	conf := 0
	if slices.Contains(c.forms, SexualAbuse) {
		conf = 1
	}
	c.rows.cases.add(c.id, c.number, c.commune, c.province, c.step, c.stepAt, c.risk, c.source, strings.Join(c.forms, ","),
		conf, c.closeReason, c.version, c.received, dayNum(time.UnixMilli(c.received)), c.created, c.updated, closed)
	c.rows.reports.add(c.id, c.source, c.received, c.created)
	for _, s := range c.steps {
		var left any
		if s.left != 0 {
			left = s.left
		}
		c.rows.steps.add(c.id, s.step, s.entered, left)
	}
	for _, d := range c.deadlines {
		var done any
		if d.done != 0 {
			done = d.done
		}
		c.rows.deadlines.add(c.id, d.what, d.step, d.due, done, c.commune, c.province, d.created)
	}
	for _, p := range c.plans {
		var sub, dec any
		if p.submitted != 0 {
			sub = p.submitted
		}
		if p.decided != 0 {
			dec = p.decided
		}
		c.rows.plans.add(c.id, p.seq, p.state, p.startsOn, p.endsOn, p.created, sub, dec)
	}
}

// genTables are the rows a batch writes.
type genTables struct {
	cases, kids, reports, incidents, steps, deadlines genRows
	events, assessments, emergencies, plans, reviews  genRows

	fresh   []children.Registered // children the batch registers
	links   [][2]int64            // case id, and a registry id or -(index+1) in fresh
	caseIDs []int64
}

func newTables() *genTables {
	return &genTables{
		cases: genRows{head: `INSERT INTO cases (id, number, commune, province, step, step_at, risk, source, abuse_forms, confidential,
			close_reason, version, received_at, received_on, created_at, updated_at, closed_at) VALUES `, cols: 17},
		kids:        genRows{head: `INSERT INTO case_children (case_id, child_id) VALUES `, cols: 2},
		reports:     genRows{head: `INSERT INTO case_reports (case_id, source, received_at, created_at) VALUES `, cols: 4},
		incidents:   genRows{head: `INSERT INTO case_incidents (case_id, form, occurred_on, setting, created_at) VALUES `, cols: 5},
		steps:       genRows{head: `INSERT INTO case_steps (case_id, step, entered_at, left_at) VALUES `, cols: 4},
		deadlines:   genRows{head: `INSERT INTO case_deadlines (case_id, what, step, due_at, done_at, commune, province, created_at) VALUES `, cols: 8},
		events:      genRows{head: `INSERT INTO case_events (case_id, at, kind, detail, version) VALUES `, cols: 5},
		assessments: genRows{head: `INSERT INTO case_assessments (case_id, kind, risk, factors, created_at) VALUES `, cols: 5},
		emergencies: genRows{head: `INSERT INTO case_emergencies (case_id, measure, decided_at, created_at) VALUES `, cols: 4},
		plans: genRows{head: `INSERT INTO case_plans (case_id, seq, state, starts_on, ends_on, created_at, submitted_at, decided_at)
			VALUES `, cols: 8},
		reviews: genRows{head: `INSERT INTO case_reviews (case_id, outcome, created_at) VALUES `, cols: 3},
	}
}

// batch invents the cases received at the given times and writes them in
// one transaction.
func (g *generator) batch(ctx context.Context, db *store.DB, received []int64) error {
	g.batches++
	sample, err := children.SampleRegistered(ctx, db.Read(), g.r, len(received)/2)
	if err != nil {
		return err
	}
	rows := newTables()
	var linked []children.Registered // registry children the batch links
	touched := map[counterKey]bool{}
	for _, at := range received {
		c := &genCase{g: g, rows: rows, id: g.nextID, received: at}
		g.nextID++
		rows.caseIDs = append(rows.caseIDs, c.id)
		c.created = min(at+g.between(5*minute, 2*hour), g.cut)
		// The children, and the commune of the first.
		var first *children.Registered
		switch {
		case len(g.pool) > 0 && g.r.IntN(10) == 0:
			if k := &g.pool[g.r.IntN(len(g.pool))]; childOn(*k, c.received) {
				first = k
			}
		case len(sample) > 0 && g.r.IntN(5) < 2:
			k := &sample[0]
			sample = sample[1:]
			if u, ok := g.units.Get(k.Commune); ok && u.Level == geo.LevelCommune && childOn(*k, c.received) {
				first = k
				linked = append(linked, *k)
			}
		}
		if first != nil {
			c.commune = first.Commune
			c.kids = append(c.kids, kidRef{id: first.ID})
		} else {
			c.commune = g.communes[g.r.IntN(len(g.communes))].Code
		}
		n := 1
		switch k := g.r.IntN(100); {
		case k < 7:
			n = 3
		case k < 25:
			n = 2
		}
		for len(c.kids) < n {
			rows.fresh = append(rows.fresh, g.child(c.commune, at))
			c.kids = append(c.kids, kidRef{fresh: len(rows.fresh)})
		}
		c.province = g.units.ProvinceOf(c.commune)
		k := counterKey{c.commune, time.UnixMilli(at).In(i18n.Vietnam).Year()}
		g.counters[k]++
		touched[k] = true
		c.number = fmt.Sprintf("%s-%04d-%06d", c.commune, k.year, g.counters[k])
		c.source = g.pick(genSources)
		nf := 1
		switch f := g.r.IntN(20); {
		case f == 0:
			nf = 3
		case f < 6:
			nf = 2
		}
		for len(c.forms) < nf {
			if f := g.pick(genForms); !slices.Contains(c.forms, f) {
				c.forms = append(c.forms, f)
			}
		}
		for _, f := range c.forms {
			rows.incidents.add(c.id, f, dayNum(time.UnixMilli(at-g.between(0, 30*day))), g.pick(genSettings), c.created)
		}
		if g.r.IntN(4) == 0 {
			c.risk = RiskHigh
		} else if g.r.IntN(3) == 0 {
			c.risk = []string{RiskMedium, RiskLow}[g.r.IntN(2)]
		}
		c.open()
		c.run()
		c.flush()
		for _, kr := range c.kids {
			if kr.fresh > 0 {
				rows.links = append(rows.links, [2]int64{c.id, -int64(kr.fresh)})
			} else {
				rows.links = append(rows.links, [2]int64{c.id, kr.id})
			}
		}
	}
	keys := make([]counterKey, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b counterKey) int {
		return cmp.Or(cmp.Compare(a.commune, b.commune), cmp.Compare(a.year, b.year))
	})
	counters := genRows{head: `INSERT INTO case_counters (commune, year, last) VALUES `, cols: 3,
		tail: ` ON CONFLICT (commune, year) DO UPDATE SET last = CASE WHEN excluded.last > case_counters.last
			THEN excluded.last ELSE case_counters.last END`}
	for _, k := range keys {
		counters.add(k.commune, k.year, g.counters[k])
	}
	at := store.Millis(g.o.At)
	names := g.batches
	err = db.Write(ctx, func(tx *store.Tx) error {
		// The registered children's ids first (the function may run twice:
		// the same names and ids again).
		if err := children.RegisterInvented(ctx, tx, rand.New(rand.NewPCG(g.o.Seed, names)), rows.fresh, g.o.At); err != nil {
			return err
		}
		rows.kids.vals = rows.kids.vals[:0]
		var abused []int64
		for _, l := range rows.links {
			id := l[1]
			if id < 0 {
				id = rows.fresh[-id-1].ID
			}
			rows.kids.add(l[0], id)
			abused = append(abused, id)
		}
		slices.Sort(abused)
		for _, t := range []*genRows{&rows.cases, &rows.kids, &rows.reports, &rows.incidents, &rows.steps, &rows.deadlines,
			&rows.events, &rows.assessments, &rows.emergencies, &rows.plans, &rows.reviews, &counters} {
			if err := t.write(ctx, tx); err != nil {
				return fmt.Errorf("generate cases: %w", err)
			}
		}
		if err := facts.TouchMany(ctx, tx, "cases", rows.caseIDs, at); err != nil {
			return err
		}
		return facts.TouchMany(ctx, tx, "abused", slices.Compact(abused), at)
	})
	if err != nil {
		return err
	}
	g.pool = append(g.pool, linked...)
	g.pool = append(g.pool, rows.fresh...)
	return nil
}

// childOn reports whether a registry child was a child (born, under 18) on
// the day of a report; an unknown date of birth does.
func childOn(k children.Registered, received int64) bool {
	on := int32(dayNum(time.UnixMilli(received)))
	return k.DOB == 0 || (k.DOB <= on && on-k.DOB < 180000)
}

// child invents a child a case registers: a girl three times in five,
// under 18 when the report came (a date of birth unknown once in thirty).
func (g *generator) child(commune string, received int64) children.Registered {
	sex := "female"
	if g.r.IntN(5) < 2 {
		sex = "male"
	}
	var dob int32
	if g.r.IntN(30) != 0 {
		born := time.UnixMilli(received).In(i18n.Vietnam).AddDate(-g.r.IntN(18), 0, -g.r.IntN(365))
		dob = int32(dayNum(born))
	}
	return children.Registered{Commune: commune, Sex: sex, DOB: dob}
}

// genRows are the rows of one table waiting to be written, in multi-row
// INSERTs.
type genRows struct {
	head string // INSERT INTO … VALUES
	tail string // after the values (ON CONFLICT …)
	cols int
	vals []any
}

func (t *genRows) add(v ...any) { t.vals = append(t.vals, v...) }

// write inserts the rows: statements of a few hundred parameters on
// SQLite (it looks $N up in a list), larger ones on PostgreSQL.
func (t *genRows) write(ctx context.Context, tx *store.Tx) error {
	limit := 300
	if tx.Engine() == store.Postgres {
		limit = 3000
	}
	per := max(1, limit/t.cols)
	for vals := t.vals; len(vals) > 0; {
		n := min(per, len(vals)/t.cols)
		var b strings.Builder
		b.WriteString(t.head)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range t.cols {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString("$" + strconv.Itoa(i*t.cols+j+1))
			}
			b.WriteByte(')')
		}
		b.WriteString(t.tail)
		if _, err := tx.ExecContext(ctx, b.String(), vals[:n*t.cols]...); err != nil {
			return err
		}
		vals = vals[n*t.cols:]
	}
	return nil
}

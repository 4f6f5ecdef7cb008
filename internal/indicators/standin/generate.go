package standin

import (
	"context"
	"fmt"
	"math/rand/v2"

	"treem/internal/geo"
	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// Scale says how much to generate.
type Scale struct {
	Children        int // registry children (about 1 in 3 in a group at any time)
	ContactsPerYear int
	Years           int // up to and including LastYear
	LastYear        int
	Cases           int
	Seed            uint64
}

// National is the scale of issue 6's figures: 2 million children with
// their help, ten years of contacts, 50,000 cases.
var National = Scale{Children: 2_000_000, ContactsPerYear: 500_000, Years: 10, LastYear: 2026, Cases: 50_000, Seed: 6}

var (
	groupCodes = []string{"a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "n", "o"}
	channels   = []string{"phone", "phone", "phone", "phone", "zalo", "web", "app", "email", "walk_in"}
	dataTypes  = []string{"child_self", "about_child"}
	otherTypes = []string{"silent", "hang_up", "abusive", "prank", "wrong_number", "thanks", "test", "missed"}
	formCodes  = []string{"bao_luc", "bao_luc", "bao_luc", "boc_lot", "xam_hai_tinh_duc", "xam_hai_tinh_duc", "mua_ban", "bo_roi", "bo_mat", "tao_hon", "bat_coc", "khac"}
)

func day(r *rand.Rand, year int) int32 {
	return int32(year*10000 + (1+r.IntN(12))*100 + 1 + r.IntN(28))
}

// Generate fills the stand-in tables with realistic-looking data spread
// over every commune (a few per cent under pre-2025 codes). It writes in
// large batches and does not touch the change feed: build the engine
// afterwards.
func Generate(ctx context.Context, db *store.DB, sc Scale, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	r := rand.New(rand.NewPCG(sc.Seed, 2026))
	g := geo.Default()
	communes := g.Communes("")
	var olds []string // old communes that still resolve, for historical records
	for _, c := range communes[:400] {
		for _, p := range g.Predecessors(c.Code) {
			if len(p.Code) == 5 {
				olds = append(olds, p.Code)
			}
		}
	}
	first := sc.LastYear - sc.Years + 1
	b := newBatcher(ctx, db)
	// Children, their groups and supports.
	for id := 1; id <= sc.Children; id++ {
		c := communes[r.IntN(len(communes))]
		sex := "male"
		if r.IntN(2) == 0 {
			sex = "female"
		}
		if r.IntN(50) == 0 {
			sex = ""
		}
		born := int32(0)
		if r.IntN(40) != 0 {
			born = day(r, sc.LastYear-r.IntN(18))
		}
		b.add("standin_children (id, commune_code, old_unit, sex, dob_on)", 5, int64(id), c.Code, false, sex, born)
		ng := 1 + r.IntN(2)
		if r.IntN(3) == 0 {
			ng = 0 // at risk only, or out of the groups
		}
		for range ng {
			start := day(r, first+r.IntN(sc.Years))
			end := facts.Open
			if r.IntN(3) == 0 {
				end = start + int32(10000*(1+r.IntN(3)))
			}
			b.add("standin_child_groups (child_id, code, start_on, end_on)", 4, int64(id), groupCodes[r.IntN(len(groupCodes))], start, end)
		}
		for range r.IntN(6) {
			status := "delivered"
			switch r.IntN(10) {
			case 0:
				status = "planned"
			case 1:
				status = "cancelled"
			}
			b.add("standin_supports (child_id, given_on, status)", 3, int64(id), day(r, first+r.IntN(sc.Years)), status)
		}
		if id%200_000 == 0 {
			progress(fmt.Sprintf("%d children", id))
		}
		if err := b.err; err != nil {
			return err
		}
	}
	// Contacts: ten years of the hotline.
	id := 0
	for y := first; y <= sc.LastYear && sc.ContactsPerYear > 0; y++ {
		for range sc.ContactsPerYear {
			id++
			typ, class := otherTypes[r.IntN(len(otherTypes))], "non_data"
			if r.IntN(3) == 0 {
				typ, class = dataTypes[r.IntN(2)], "data"
			}
			unit, old := "", false
			switch k := r.IntN(10); {
			case k < 5 && y < 2025 && len(olds) > 0 && r.IntN(4) == 0:
				unit, old = olds[r.IntN(len(olds))], true
			case k < 5:
				unit = communes[r.IntN(len(communes))].Code
			case k < 8:
				unit = communes[r.IntN(len(communes))].Province
			}
			b.add("standin_contacts (id, channel, type_code, class, started_on, unit_code, old_unit, referred)", 8,
				int64(id), channels[r.IntN(len(channels))], typ, class, day(r, y), unit, old, class == "data" && r.IntN(20) == 0)
			if err := b.err; err != nil {
				return err
			}
		}
		progress(fmt.Sprintf("contacts of %d", y))
	}
	// Cases with their forms and children.
	child := 0
	for cid := 1; cid <= sc.Cases; cid++ {
		y := first + r.IntN(sc.Years)
		c := communes[r.IntN(len(communes))].Code
		old := false
		if y < 2025 && len(olds) > 0 && r.IntN(5) == 0 {
			c, old = olds[r.IntN(len(olds))], true
		}
		em := r.IntN(4) == 0
		minutes := int64(-1)
		if r.IntN(10) != 0 {
			minutes = int64(r.IntN(3 * 24 * 60))
		}
		plan := r.IntN(2) == 0
		b.add("standin_cases (id, commune_code, old_unit, received_on, emergency, emergency_12h, plan, plan_on_time, first_action_minutes)", 9,
			int64(cid), c, old, day(r, y), em, em && r.IntN(5) != 0, plan, plan && r.IntN(4) != 0, minutes)
		nf := 1 + r.IntN(2)
		seen := map[string]bool{}
		for range nf {
			f := formCodes[r.IntN(len(formCodes))]
			if !seen[f] {
				seen[f] = true
				b.add("standin_case_forms (case_id, form)", 2, int64(cid), f)
			}
		}
		for range 1 + r.IntN(2) {
			key := int64(child + 1)
			if child > 0 && r.IntN(10) == 0 {
				key = int64(1 + r.IntN(child)) // a child in a second case
			} else {
				child++
			}
			sex := "female"
			if r.IntN(3) == 0 {
				sex = "male"
			}
			b.add("standin_case_children (case_id, child_key, sex, dob_on)", 4, int64(cid), key, sex, day(r, y-1-r.IntN(15)))
		}
		if err := b.err; err != nil {
			return err
		}
	}
	return b.flush()
}

// batcher writes rows in multi-row INSERTs, one table at a time.
type batcher struct {
	ctx  context.Context
	db   *store.DB
	rows map[string][]any
	cols map[string]int
	err  error
}

func newBatcher(ctx context.Context, db *store.DB) *batcher {
	return &batcher{ctx: ctx, db: db, rows: map[string][]any{}, cols: map[string]int{}}
}

// Rows go in statements of about batchParams parameters, many statements
// to a transaction.
const (
	batchParams = 800
	batchTx     = 40 * batchParams
)

func (b *batcher) add(table string, cols int, vals ...any) {
	if b.err != nil {
		return
	}
	b.cols[table] = cols
	b.rows[table] = append(b.rows[table], vals...)
	if len(b.rows[table])+cols > batchTx {
		b.err = b.write(table)
	}
}

func (b *batcher) write(table string) error {
	vals := b.rows[table]
	if len(vals) == 0 {
		return nil
	}
	cols := b.cols[table]
	per := batchParams / cols * cols // parameters per full statement
	full := "INSERT INTO " + table + " VALUES " + values(per/cols, cols)
	err := b.db.Write(b.ctx, func(tx *store.Tx) error {
		for rest := vals; len(rest) > 0; {
			n := min(len(rest), per)
			q := full
			if n < per {
				q = "INSERT INTO " + table + " VALUES " + values(n/cols, cols)
			}
			if _, err := tx.ExecContext(b.ctx, q, rest[:n]...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	b.rows[table] = vals[:0]
	return err
}

func (b *batcher) flush() error {
	if b.err != nil {
		return b.err
	}
	for t := range b.rows {
		if err := b.write(t); err != nil {
			return err
		}
	}
	return nil
}

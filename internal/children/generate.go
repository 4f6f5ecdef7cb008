package children

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"treem/internal/dates"
	"treem/internal/geo"
	"treem/internal/indicators/facts"
	"treem/internal/store"
	"treem/internal/vntext"
)

// GenOptions says how many children Generate writes.
type GenOptions struct {
	Children  int // 2,000,000 is the national registry
	FirstYear int // groups start and supports are given from this year
	LastYear  int // to this one
	Seed      uint64
	At        time.Time // the records' creation time (now when zero)
}

var (
	genFamily = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
		"Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Lò", "Hà"}
	genMiddle = []string{"Văn", "Thị", "Minh", "Đức", "Ngọc", "Thanh", "Hữu", "Quang", "Thu", "Bảo"}
	genGiven  = []string{"An", "Bình", "Châu", "Dung", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Huy", "Khánh", "Lan", "Linh",
		"Long", "Mai", "Minh", "Nam", "Ngọc", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"}
	genGroups = []string{"a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "n", "o"}
	genKinds  = []string{"health_care", "education", "social_allowance", "legal_aid", "psychological", "alternative_care",
		"shelter", "childrens_fund", "other"}
)

// Generate writes invented children straight into the registry's tables,
// in large batches, for the benchmarks and for trying the indicators at
// national scale: spread over every commune, about two in three in one or
// two special-circumstance groups (a third of those periods ended), up to
// five supports each (one in ten planned, one in ten cancelled). No
// caregivers, contact details or notes (nothing to seal), no history rows.
// It touches the indicators' change feed like any write.
func Generate(ctx context.Context, db *store.DB, o GenOptions, progress func(done int)) error {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	r := rand.New(rand.NewPCG(o.Seed, 56))
	communes := geo.Default().Communes("")
	years := max(o.LastYear-o.FirstYear+1, 1)
	day := func(year int) int32 {
		return int32(year*10000 + (1+r.IntN(12))*100 + 1 + r.IntN(28))
	}
	var first int64
	if err := db.Read().QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM children`).Scan(&first); err != nil {
		return err
	}
	at := store.Millis(o.At)
	today := dates.Today(o.At)
	const batch = 2000
	for done := 0; done < o.Children; {
		n := min(batch, o.Children-done)
		var kids, groups, supports []any
		ids := make([]int64, 0, n)
		for i := range n {
			id := first + int64(done+i) + 1
			ids = append(ids, id)
			c := communes[r.IntN(len(communes))]
			sex := []string{"male", "female"}[r.IntN(2)]
			if r.IntN(50) == 0 {
				sex = ""
			}
			name := inventName(r, sex)
			dob := int32(0)
			if r.IntN(40) != 0 {
				dob = day(o.LastYear - r.IntN(18))
			}
			var periods []GroupPeriod
			ng := 1 + r.IntN(2)
			if r.IntN(3) == 0 {
				ng = 0 // at risk only, or out of the groups
			}
			for range ng {
				start := day(o.FirstYear + r.IntN(years))
				end := int32(0)
				if r.IntN(3) == 0 {
					end = start + int32(10000*(1+r.IntN(3)))
				}
				code := genGroups[r.IntN(len(genGroups))]
				periods = append(periods, GroupPeriod{Code: code, Start: numDate(int(start), false), End: numDate(int(end), false)})
				groups = append(groups, id, code, start, end, at)
			}
			for range r.IntN(6) {
				status := StatusDelivered
				switch r.IntN(10) {
				case 0:
					status = StatusPlanned
				case 1:
					status = StatusCancelled
				}
				supports = append(supports, id, genKinds[r.IntN(len(genKinds))], day(o.FirstYear+r.IntN(years)), status, at)
			}
			kids = append(kids, id, name, vntext.Fold(name), vntext.NameSortKey(name), dob, sex, c.Code, c.Province,
				int64(groupsMask(periods, today)), at)
		}
		err := db.Write(ctx, func(tx *store.Tx) error {
			if err := genInsert(ctx, tx, `INSERT INTO children (id, name, name_folded, name_key, dob_on, sex, commune_code,
				province_code, groups_mask, created_at, updated_at) VALUES `, "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)", 10, kids); err != nil {
				return fmt.Errorf("generate children: %w", err)
			}
			if err := genInsert(ctx, tx, `INSERT INTO child_groups (child_id, origin_child_id, code, start_on, end_on, recorded_at) VALUES `,
				"($1, $1, $2, $3, $4, $5)", 5, groups); err != nil {
				return fmt.Errorf("generate groups: %w", err)
			}
			if err := genInsert(ctx, tx, `INSERT INTO supports (child_id, origin_child_id, kind, given_on, status, created_at) VALUES `,
				"($1, $1, $2, $3, $4, $5)", 5, supports); err != nil {
				return fmt.Errorf("generate supports: %w", err)
			}
			return facts.TouchMany(ctx, tx, FactSourceName, ids, at)
		})
		if err != nil {
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
			_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('children', 'id'), (SELECT MAX(id) FROM children))`)
			return err
		})
	}
	return nil
}

// Registered is a registry child as the generators of other areas see it
// (cases.Generate links its invented cases to children).
type Registered struct {
	ID      int64
	Commune string
	Sex     string // male, female, "" unknown
	DOB     int32  // yyyymmdd, 0 unknown
}

// SampleRegistered draws n ids at random up to the registry's largest and
// returns the children among them that exist and are not merged, in the
// order drawn (fewer than n when some are missing; none from an empty
// registry).
func SampleRegistered(ctx context.Context, q store.Queryer, r *rand.Rand, n int) ([]Registered, error) {
	var top int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM children`).Scan(&top); err != nil {
		return nil, err
	}
	if top == 0 || n <= 0 {
		return nil, nil
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = 1 + r.Int64N(top)
	}
	found := map[int64]Registered{}
	for part := range slices.Chunk(ids, 500) {
		in, args := idList("id", part)
		rows, err := q.QueryContext(ctx, `SELECT id, commune_code, sex, dob_on FROM children WHERE merged_into IS NULL`+in, args...)
		if err != nil {
			return nil, fmt.Errorf("sample children: %w", err)
		}
		for rows.Next() {
			var c Registered
			if err := rows.Scan(&c.ID, &c.Commune, &c.Sex, &c.DOB); err != nil {
				rows.Close()
				return nil, err
			}
			found[c.ID] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]Registered, 0, len(found))
	for _, id := range ids {
		if c, ok := found[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// RegisterInvented writes children in tx as a case registers a new child
// (cases.Generate): an invented name for their sex, their date of birth
// and commune, no groups, supports or contact details. It sets their ids
// (after the registry's largest) and touches the indicators' change feed.
func RegisterInvented(ctx context.Context, tx *store.Tx, r *rand.Rand, kids []Registered, at time.Time) error {
	if len(kids) == 0 {
		return nil
	}
	var first int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM children`).Scan(&first); err != nil {
		return err
	}
	units := geo.Default()
	ms := store.Millis(at)
	vals := make([]any, 0, 10*len(kids))
	ids := make([]int64, len(kids))
	for i := range kids {
		k := &kids[i]
		k.ID = first + int64(i) + 1
		ids[i] = k.ID
		name := inventName(r, k.Sex)
		vals = append(vals, k.ID, name, vntext.Fold(name), vntext.NameSortKey(name), k.DOB, k.Sex, k.Commune,
			units.ProvinceOf(k.Commune), 0, ms)
	}
	if err := genInsert(ctx, tx, `INSERT INTO children (id, name, name_folded, name_key, dob_on, sex, commune_code,
		province_code, groups_mask, created_at, updated_at) VALUES `, "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)", 10, vals); err != nil {
		return fmt.Errorf("register invented children: %w", err)
	}
	if tx.Engine() == store.Postgres {
		// Explicit ids do not move the identity sequence.
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('children', 'id'), $1)`, first+int64(len(kids))); err != nil {
			return err
		}
	}
	return facts.TouchMany(ctx, tx, FactSourceName, ids, ms)
}

// inventName makes a Vietnamese name for a child of the given sex.
func inventName(r *rand.Rand, sex string) string {
	middle := genMiddle[r.IntN(len(genMiddle))]
	if sex == "female" && r.IntN(2) == 0 {
		middle = "Thị"
	}
	return genFamily[r.IntN(len(genFamily))] + " " + middle + " " + genGiven[r.IntN(len(genGiven))]
}

// genInsert inserts rows of cols values each with tuple ($1… numbered for
// one row), about 800 parameters a statement.
func genInsert(ctx context.Context, tx *store.Tx, prefix, tuple string, cols int, vals []any) error {
	per := 800 / cols
	for len(vals) > 0 {
		n := min(per, len(vals)/cols)
		var b strings.Builder
		b.WriteString(prefix)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			t := tuple
			for j := cols; j >= 1; j-- { // $10 before $1
				t = strings.ReplaceAll(t, "$"+strconv.Itoa(j), "#"+strconv.Itoa(i*cols+j))
			}
			b.WriteString(strings.ReplaceAll(t, "#", "$"))
		}
		if _, err := tx.ExecContext(ctx, b.String(), vals[:n*cols]...); err != nil {
			return err
		}
		vals = vals[n*cols:]
	}
	return nil
}

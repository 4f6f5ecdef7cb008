package children

import (
	"context"
	"fmt"
	"math/rand/v2"
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
			middle := genMiddle[r.IntN(len(genMiddle))]
			if sex == "female" && r.IntN(2) == 0 {
				middle = "Thị"
			}
			name := genFamily[r.IntN(len(genFamily))] + " " + middle + " " + genGiven[r.IntN(len(genGiven))]
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

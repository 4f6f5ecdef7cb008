package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"treem/internal/children"
	"treem/internal/dates"
	"treem/internal/store"
)

// demoChildrenMark is the setting that says the demo children were seeded.
const demoChildrenMark = "demo.children"

// The invented children live in the two demo communes.
var demoCommunes = []string{"00004", "00008"}

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"}
	girlsMiddle = []string{"Thị", "Ngọc", "Thu", "Minh", "Khánh", "Bảo"}
	boysMiddle  = []string{"Văn", "Đức", "Minh", "Quốc", "Gia", "Hữu"}
	girlsGiven  = []string{"Lan", "Mai", "Hương", "Linh", "Trang", "Ngân", "Thảo", "Yến", "Vy", "Hà"}
	boysGiven   = []string{"An", "Bình", "Khang", "Huy", "Nam", "Phúc", "Long", "Tuấn", "Đạt", "Sơn"}
	demoGroups  = [][]string{{"a"}, {"d"}, {"c"}, {"h"}, {"i"}, {"n"}, {"d", "n"}, {"k"}, {"b"}, {"l"}, {}, {"o"}}
	demoRisks   = [][]string{nil, nil, {"bo_hoc"}, {"bao_luc"}, nil, {"boc_lot"}}
	demoSupport = []string{"social_allowance", "health_care", "education", "psychological", "childrens_fund", "legal_aid"}
)

// SeedChildren adds a few dozen invented children, with groups and help
// received, to the demo communes. It runs once per database.
func SeedChildren(ctx context.Context, db *store.DB, kids *children.Service) error {
	var v string
	err := db.Read().QueryRowContext(ctx, "SELECT value FROM settings WHERE name = $1", demoChildrenMark).Scan(&v)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	today := dates.Today(kids.Now())
	for i := 0; i < 36; i++ {
		girl := i%2 == 0
		sex, middle, given := "Nam", boysMiddle, boysGiven
		if girl {
			sex, middle, given = "Nữ", girlsMiddle, girlsGiven
		}
		name := familyNames[i%len(familyNames)] + " " + middle[(i/2)%len(middle)] + " " + given[(i*7)%len(given)]
		age := 1 + (i*5)%15
		dob := fmt.Sprintf("%02d/%02d/%04d", 1+(i*11)%28, 1+(i*5)%12, today.Year-age)
		if i%9 == 4 {
			dob = fmt.Sprintf("%d", today.Year-age) // only the year is known
		}
		commune := demoCommunes[(i/2)%len(demoCommunes)]
		groups := make([]children.GroupInput, 0)
		for _, g := range demoGroups[i%len(demoGroups)] {
			// in the group since some time after birth
			groups = append(groups, children.GroupInput{Code: g, Start: fmt.Sprintf("01/%02d/%04d", 1+i%12, today.Year-min(age-1, 1+i%3))})
		}
		risks := demoRisks[i%len(demoRisks)]
		address := fmt.Sprintf("Số %d, ngõ %d", 3+i, 10+i%20)
		in := children.Input{Name: &name, DOB: &dob, Sex: &sex, Commune: &commune, Groups: &groups, Risks: &risks,
			Address: &address}
		if i%3 == 0 {
			phone := fmt.Sprintf("09%08d", 12345670+i)
			cg := []children.CaregiverInput{{Name: familyNames[(i+3)%len(familyNames)] + " Thị Hạnh", Relation: "grandparent", Phone: phone}}
			in.Caregivers = &cg
		}
		if i%4 == 1 {
			status := "in_school"
			in.SchoolStatus = &status
		}
		c, err := kids.Create(ctx, nil, in)
		if err != nil {
			return fmt.Errorf("demo child %d: %w", i, err)
		}
		// Two thirds were helped this year; some last year; a few have help planned.
		for j := 0; j < 1+i%3; j++ {
			year := today.Year
			if (i+j)%3 == 2 {
				year--
			}
			day := dates.Date{Year: year, Month: 1 + (i+j)%max(1, today.Month), Day: 1 + (i*3+j)%27, Precision: dates.Day}
			amount := int64(500000 * (1 + (i+j)%4))
			sp := children.SupportInput{Kind: demoSupport[(i+j)%len(demoSupport)], Date: day.String(), AmountVND: &amount,
				Provider: "UBND " + commune}
			if i%7 == 6 && j == 0 {
				sp.Status = children.StatusPlanned
				sp.Date = today.String()
			}
			if _, err := kids.AddSupport(ctx, nil, c.ID, sp); err != nil {
				return fmt.Errorf("demo support %d: %w", i, err)
			}
		}
	}
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, '1', $2)
			ON CONFLICT (name) DO NOTHING`, demoChildrenMark, store.Millis(kids.Now()))
		return err
	})
}

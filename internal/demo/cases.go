package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/store"
)

// demoCasesMark is the setting that says the demo cases were seeded.
const demoCasesMark = "demo.cases"

// demoCase is an invented case and the steps it went through.
type demoCase struct {
	commune, officer string
	ago              time.Duration // received this long before the seed
	source, risk     string
	forms            []string
	summary          string
	walk             []string // steps, in order, after received
	closeReason      string
}

var demoCases = []demoCase{
	{"00004", "xa.badinh", 3 * time.Hour, "hotline", "high", []string{"bao_luc"},
		"Tổng đài 111 chuyển tin: hàng xóm nghe tiếng trẻ kêu khóc, nghi bị cha dượng đánh.", nil, ""},
	{"00004", "xa.badinh", 20 * time.Hour, "police", "high", []string{"bao_luc", "bo_mat"},
		"Công an phường báo trẻ bỏ nhà đi, trên người có vết bầm.", []string{cases.StepVerifying}, ""},
	{"00004", "xa.badinh", 4 * 24 * time.Hour, "school", "high", []string{cases.SexualAbuse},
		"Nhà trường báo nghi trẻ bị xâm hại; đã đưa trẻ đi khám.", []string{cases.StepInitialAssessment, cases.StepEmergency, cases.StepDetailedAssessment}, ""},
	{"00004", "xa.badinh", 9 * 24 * time.Hour, "commune", "medium", []string{"boc_lot"},
		"Trẻ phải bỏ học đi bán hàng rong đến khuya.", []string{cases.StepInitialAssessment, cases.StepDetailedAssessment, cases.StepPlanning}, ""},
	{"00008", "xa.ngocha", 15 * 24 * time.Hour, "family", "medium", []string{"bo_mat"},
		"Bà nội báo cha mẹ đi làm xa, trẻ ở nhà một mình nhiều ngày.", []string{cases.StepInitialAssessment, cases.StepDetailedAssessment,
			cases.StepPlanning, cases.StepPlanApproval}, ""},
	{"00008", "xa.ngocha", 40 * 24 * time.Hour, "neighbour", "low", []string{"bao_luc"},
		"Hàng xóm báo trẻ thường bị đánh mắng.", []string{cases.StepInitialAssessment, cases.StepDetailedAssessment, cases.StepPlanning,
			cases.StepPlanApproval, cases.StepImplementing}, ""},
	{"00008", "xa.ngocha", 90 * 24 * time.Hour, "health", "low", []string{"bo_mat"},
		"Trạm y tế báo trẻ suy dinh dưỡng, gia đình khó khăn.", []string{cases.StepInitialAssessment, cases.StepDetailedAssessment,
			cases.StepPlanning, cases.StepPlanApproval, cases.StepImplementing, cases.StepReviewing, cases.StepClosed}, "safe"},
}

// SeedCases opens a few invented cases in the demo communes, at different
// steps of the procedure, with the demo children. It runs once per
// database, after SeedChildren.
func SeedCases(ctx context.Context, db *store.DB, a *auth.Service, cs *cases.Service) error {
	var v string
	err := db.Read().QueryRowContext(ctx, "SELECT value FROM settings WHERE name = $1", demoCasesMark).Scan(&v)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	now := cs.Now()
	for i, d := range demoCases {
		u, err := a.UserByName(ctx, d.officer)
		if err != nil {
			return fmt.Errorf("demo case %d: %w", i, err)
		}
		var child int64
		err = db.Read().QueryRowContext(ctx, `SELECT id FROM children WHERE commune_code = $1 ORDER BY id LIMIT 1 OFFSET $2`,
			d.commune, i%5).Scan(&child)
		if err != nil {
			return fmt.Errorf("demo case %d: a demo child: %w", i, err)
		}
		c, err := cs.Create(ctx, nil, cases.NewCase{Commune: d.commune, Children: []cases.ChildRef{{ID: child}},
			ReceivedAt: now.Add(-d.ago).Format(time.RFC3339), Source: d.source, Summary: d.summary, AbuseForms: d.forms,
			Risk: d.risk, AssignedTo: u.ID, Reporter: &cases.Reporter{Relation: d.source}})
		if err != nil {
			return fmt.Errorf("demo case %d: %w", i, err)
		}
		ver := c.Version
		for _, step := range d.walk {
			switch step {
			case cases.StepDetailedAssessment:
				if c.Step == cases.StepEmergency {
					if _, err := cs.AddEmergency(ctx, nil, c.ID, cases.EmergencyInput{Version: ver, Measure: "separation",
						DecisionNo: "07/QĐ-UBND", DecidedBy: "Chủ tịch UBND", Place: "Cơ sở trợ giúp xã hội", Reason: "Bảo đảm an toàn cho trẻ"}); err != nil {
						return fmt.Errorf("demo case %d: measure: %w", i, err)
					}
					ver++
				}
			case cases.StepPlanning:
				if _, err := cs.AddAssessment(ctx, nil, c.ID, cases.AssessmentInput{Version: ver, Kind: "detailed",
					Factors:  map[string]string{"severity": d.risk, "access": "medium", "care": "medium", "resilience": "low"},
					Findings: "Đã gặp trẻ và gia đình; trẻ cần hỗ trợ tâm lý và học tập."}); err != nil {
					return fmt.Errorf("demo case %d: assessment: %w", i, err)
				}
				ver++
			case cases.StepPlanApproval:
				if _, err := cs.SavePlan(ctx, nil, c.ID, cases.PlanInput{Version: ver, Goals: []string{"Trẻ được an toàn tại gia đình", "Trẻ đi học trở lại"},
					Measures: []cases.Measure{{Action: "Tư vấn tâm lý cho trẻ", Responsible: "Cán bộ xã", Organisation: "Trung tâm công tác xã hội"},
						{Action: "Hỗ trợ học phí", Responsible: "UBND xã"}}}); err != nil {
					return fmt.Errorf("demo case %d: plan: %w", i, err)
				}
				ver++
			}
			c, err = cs.Transition(ctx, nil, c.ID, cases.TransitionInput{To: step, Reason: "Dữ liệu minh họa", Version: ver,
				CloseReason: d.closeReason, DecisionNo: "05/QĐ-UBND"})
			if err != nil {
				return fmt.Errorf("demo case %d: to %s: %w", i, step, err)
			}
			ver = c.Version
		}
	}
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, '1', $2)
			ON CONFLICT (name) DO NOTHING`, demoCasesMark, store.Millis(now))
		return err
	})
}

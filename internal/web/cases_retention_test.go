package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"testing"

	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/store"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

// A case closed longer ago than the retention period loses its personal
// content to the daily retention run — summary, reports, perpetrator,
// referrals' notes, attachments — once, audited, while its number, unit,
// dates and steps stay for the indicators; open and recent cases are not
// touched, and the erased case's page still opens.
func TestClosedCasesAreErasedByTheRetentionRule(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := testenv.NewWith(t, testenv.Options{Engine: e, Config: func(c *config.Config) { c.RetentionYears = 5 }})
			ba := h.User(t, auth.CommuneOfficer, "00004")
			old := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "low")))
			recent := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "low")))
			open := caseID(openCase(t, ba, fmt.Sprintf(newCaseBody, "low")))
			ctx := context.Background()
			db := h.App.DB
			// Closure through the workflow is tested with the state machine;
			// here only its date matters.
			err := db.Write(ctx, func(tx *store.Tx) error {
				for id, yearsAgo := range map[string]int{old: 6, recent: 2} {
					if _, err := tx.ExecContext(ctx, `UPDATE cases SET step = 'closed', close_reason = 'safe', closed_at = $1 WHERE id = $2`,
						store.Millis(h.Clock.Now().AddDate(-yearsAgo, 0, 0)), id); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			n, err := h.App.Privacy.RunRetention(ctx)
			if err != nil || n != 1 {
				t.Fatalf("retention erased %d (%v), want the one case closed six years ago", n, err)
			}
			sealed := func(id string) (summaryNull bool, reportsNull int) {
				var s []byte
				if err := db.Read().QueryRowContext(ctx, `SELECT summary FROM cases WHERE id = $1`, id).Scan(&s); err != nil {
					t.Fatal(err)
				}
				var k int
				if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM case_reports WHERE case_id = $1 AND data IS NULL`, id).Scan(&k); err != nil && err != sql.ErrNoRows {
					t.Fatal(err)
				}
				return s == nil, k
			}
			if gone, _ := sealed(old); !gone {
				t.Fatal("the old closed case's summary is still stored")
			}
			for _, id := range []string{recent, open} {
				if gone, reports := sealed(id); gone || reports != 0 {
					t.Fatalf("case %s was erased too early", id)
				}
				if getCase(t, ba, id)["summary"] == "" {
					t.Fatalf("case %s lost its summary", id)
				}
			}
			got := getCase(t, ba, old)
			if got["summary"] != "" && got["summary"] != nil || got["number"] == "" || got["step"] != "closed" {
				t.Fatalf("the erased case should keep its number and step and nothing personal: %v", got)
			}
			if res := ba.Get(t, "/cases/"+old); res.Code != http.StatusOK {
				t.Fatalf("the erased case's page: %s", res)
			}
			if !h.Audited(t, nil, "personal_data.erase", old) {
				t.Fatal("the erasure is not audited")
			}
			if n, err := h.App.Privacy.RunRetention(ctx); err != nil || n != 0 {
				t.Fatalf("a second run erased %d (%v)", n, err)
			}
		})
	}
}

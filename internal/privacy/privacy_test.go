package privacy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"treem/internal/config"
	"treem/internal/privacy"
	"treem/internal/store"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

// An area registers its own retention target (the cases area will, for
// closed cases): the daily run erases what it says is due, once each, and
// records and audits every erasure like the registry's.
func TestRetentionRunsEveryRegisteredTarget(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			h := testenv.NewWith(t, testenv.Options{Engine: e, Config: func(c *config.Config) { c.RetentionYears = 3 }})
			var mu sync.Mutex
			erased := map[int64]int{}
			var cutoffs []time.Time
			h.App.Privacy.Register(privacy.Target{
				Name: "case",
				Due: func(ctx context.Context, cutoff time.Time, limit int) ([]int64, error) {
					mu.Lock()
					defer mu.Unlock()
					cutoffs = append(cutoffs, cutoff)
					var due []int64
					for _, id := range []int64{7, 8, 9} {
						if erased[id] == 0 {
							due = append(due, id)
						}
					}
					return due, nil
				},
				Erase: func(ctx context.Context, tx *store.Tx, id int64, at time.Time) error {
					if id == 9 {
						return store.ErrNotFound // gone meanwhile: skipped, not fatal
					}
					mu.Lock()
					erased[id]++
					mu.Unlock()
					return nil
				},
			})
			ctx := context.Background()
			n, err := h.App.Privacy.RunRetention(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 || erased[7] != 1 || erased[8] != 1 {
				t.Fatalf("erased %d: %v", n, erased)
			}
			if want := h.Clock.Now().AddDate(-3, 0, 0); len(cutoffs) == 0 || !cutoffs[0].Equal(want) {
				t.Fatalf("cutoff %v, want %v", cutoffs, want)
			}
			for _, id := range []string{"7", "8"} {
				if !h.Audited(t, nil, "personal_data.erase", id) {
					t.Fatalf("erasure of case %s not audited", id)
				}
			}
			e7, err := h.App.Privacy.ErasureOf(ctx, "case", 7)
			if err != nil || e7.Reason != privacy.ReasonRetention || e7.By != "system" {
				t.Fatalf("erasure record: %+v %v", e7, err)
			}
			// A second run erases nothing again (the record says it is done).
			if _, err := h.App.Privacy.RunRetention(ctx); err != nil {
				t.Fatal(err)
			}
			if erased[7] != 1 || erased[8] != 1 {
				t.Fatalf("erased twice: %v", erased)
			}
		})
	}
}

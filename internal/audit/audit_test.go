package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"treem/internal/audit"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

func newLog(t *testing.T, db *store.DB) *audit.Log {
	t.Helper()
	k, err := seal.New(seal.Generate(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return audit.New(db, k.AuditMAC(), nil)
}

func fill(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: 7, Name: "lan", Role: "commune_officer", Unit: "00004", Client: "10.0.0.1"})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := l.Record(ctx, audit.Event{Action: "child.read", RecordType: "child", RecordID: fmt.Sprint(i)}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
}

// tamper runs SQL on the log as an attacker with database access would:
// dropping the append-only triggers first.
func tamper(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		if tx.Engine() == store.Postgres {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE audit_log DISABLE TRIGGER USER"); err != nil {
				return err
			}
		} else {
			for _, tr := range []string{"audit_log_no_update", "audit_log_no_delete"} {
				if _, err := tx.ExecContext(ctx, "DROP TRIGGER "+tr); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		t.Fatalf("tamper %q: %v", q, err)
	}
}

func TestWholeChainVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLog(t, db)
		fill(t, l, 50)
		rep, err := l.Verify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Entries != 50 {
			t.Fatalf("fresh log: %d entries, breaks %v", rep.Entries, rep.Breaks)
		}
	})
}

func TestVerifyNamesTheFirstTamperedEntry(t *testing.T) {
	cases := []struct {
		name    string
		sql     string
		problem string
	}{
		{"changed", "UPDATE audit_log SET actor = 'someone else' WHERE chain = 0 AND seq = 5", "changed"},
		{"removed", "DELETE FROM audit_log WHERE chain = 0 AND seq = 5", "removed"},
		{"removed at the end", "DELETE FROM audit_log WHERE chain = 0 AND seq = 20", "removed"},
		{"inserted", `INSERT INTO audit_log (chain, seq, at, actor, role, unit, action, record_type, record_id, client_addr, outcome, prev_hash, hash)
			SELECT chain, 21, at, actor, role, unit, action, record_type, record_id, client_addr, outcome, hash, hash FROM audit_log WHERE chain = 0 AND seq = 20`, "inserted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				if db.Engine == store.Postgres {
					db.Lanes = 1 // one chain, so that positions are known
				}
				l := newLog(t, db)
				fill(t, l, 20)
				tamper(t, db, c.sql)
				rep, err := l.Verify(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() {
					t.Fatalf("%s entry not detected", c.name)
				}
				b := rep.Breaks[0]
				if !strings.Contains(b.Problem, c.problem) {
					t.Fatalf("break %q does not say %q", b, c.problem)
				}
				wantSeq := int64(5)
				if c.name != "changed" && c.name != "removed" {
					wantSeq = b.Seq // positional checks below
				}
				if c.name == "removed at the end" && b.Seq != 20 {
					t.Fatalf("removal at the end reported at entry %d, want 20", b.Seq)
				}
				if c.name == "inserted" && b.Seq != 21 {
					t.Fatalf("insertion reported at entry %d, want 21", b.Seq)
				}
				if b.Seq != wantSeq {
					t.Fatalf("first break at entry %d, want %d: %s", b.Seq, wantSeq, b)
				}
			})
		})
	}
}

func TestAppendRollsBackWithItsChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLog(t, db)
		ctx := context.Background()
		db.Write(ctx, func(tx *store.Tx) error {
			if err := l.Append(ctx, tx, audit.Event{Action: "child.update", RecordType: "child", RecordID: "1"}); err != nil {
				return err
			}
			return fmt.Errorf("the change failed")
		})
		fill(t, l, 3)
		entries, total, err := l.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(entries) != 3 {
			t.Fatalf("%d entries, want the 3 that committed", total)
		}
		if rep, _ := l.Verify(ctx); !rep.OK() {
			t.Fatalf("chain broken after a rollback: %v", rep.Breaks)
		}
	})
}

func TestListFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLog(t, db)
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: 1, Name: "admin", Role: "admin"})
		l.Record(ctx, audit.Event{Action: "user.create", RecordType: "user", RecordID: "9"})
		l.Record(ctx, audit.Event{Action: "child.read", RecordType: "child", RecordID: "4", Outcome: audit.NotFound})
		fill(t, l, 5)
		for _, c := range []struct {
			f    audit.Filter
			want int
		}{
			{audit.Filter{}, 7},
			{audit.Filter{Actor: "admin"}, 2},
			{audit.Filter{Action: "child.read"}, 6},
			{audit.Filter{Outcome: audit.NotFound}, 1},
			{audit.Filter{RecordType: "user", RecordID: "9"}, 1},
			{audit.Filter{From: time.Now().Add(time.Hour)}, 0},
		} {
			_, total, err := l.List(context.Background(), c.f)
			if err != nil {
				t.Fatal(err)
			}
			if total != c.want {
				t.Errorf("filter %+v: %d entries, want %d", c.f, total, c.want)
			}
		}
		page1, _, _ := l.List(context.Background(), audit.Filter{Limit: 4})
		page2, _, _ := l.List(context.Background(), audit.Filter{Limit: 4, Before: page1[len(page1)-1].ID})
		if len(page1) != 4 || len(page2) != 3 || page2[0].ID >= page1[3].ID {
			t.Fatalf("paging: %d then %d entries", len(page1), len(page2))
		}
	})
}

// Reads are recorded in batches (many callers' entries in one transaction
// and one move of the chain's head): every caller still gets its own
// entry, in one unbroken chain, with its own actor.
func TestManyReadsAtOnceEachGetTheirEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLog(t, db)
		const n = 400
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ctx := audit.WithActor(context.Background(), audit.Actor{ID: int64(i + 1), Name: fmt.Sprint("u", i), Role: "analyst"})
				if err := l.Record(ctx, audit.Event{Action: "child.read", RecordType: "child", RecordID: fmt.Sprint(i)}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		ctx := context.Background()
		rep, err := l.Verify(ctx)
		if err != nil || !rep.OK() || rep.Entries != n {
			t.Fatalf("after %d reads at once: %d entries, breaks %v (%v)", n, rep.Entries, rep.Breaks, err)
		}
		for _, i := range []int{0, 199, 399} {
			es, total, err := l.List(ctx, audit.Filter{Actor: fmt.Sprint("u", i)})
			if err != nil || total != 1 || es[0].RecordID != fmt.Sprint(i) || es[0].ActorID != int64(i+1) {
				t.Fatalf("entry of u%d: %v %v", i, es, err)
			}
		}
	})
}

// A read whose request has already ended is not recorded, and a bad event
// fails alone.
func TestRecordOfAnEndedRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLog(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := l.Record(ctx, audit.Event{Action: "child.read", RecordType: "child", RecordID: "1"}); err == nil {
			t.Fatal("a read recorded after its request ended")
		}
		if err := l.Record(context.Background(), audit.Event{RecordType: "child"}); err == nil {
			t.Fatal("an event without an action was recorded")
		}
		fill(t, l, 3)
		if _, total, _ := l.List(context.Background(), audit.Filter{}); total != 3 {
			t.Fatalf("%d entries, want 3", total)
		}
	})
}

// Recording after the database closed fails; it does not wait for ever.
func TestRecordAfterClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLog(t, db)
		db.Close()
		done := make(chan error, 1)
		go func() { done <- l.Record(context.Background(), audit.Event{Action: "child.read", RecordType: "child"}) }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("recorded into a closed database")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Record hangs after Close")
		}
	})
}

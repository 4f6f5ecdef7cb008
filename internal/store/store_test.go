package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"treem/internal/store"
	"treem/internal/store/storetest"
)

func TestMigrationsMatchOnBothEngines(t *testing.T) {
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d: every migration needs both versions", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second Migrate applied %v again", applied)
		}
		v, err := db.Version(context.Background())
		if err != nil || v == 0 {
			t.Fatalf("version %d, %v", v, err)
		}
	})
}

// Many concurrent writers, some failing: every success is stored once,
// every failure leaves nothing, on both engines.
func TestConcurrentWritesKeepSuccessesAndDropFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 300
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = db.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)",
						fmt.Sprintf("k%03d", i), "v", int64(i))
					if err != nil {
						return err
					}
					if i%7 == 0 {
						return errors.New("refused on purpose")
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		want := 0
		for i, err := range errs {
			if i%7 == 0 {
				if err == nil {
					t.Errorf("write %d should have failed", i)
				}
				continue
			}
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			want++
		}
		var got int
		if err := db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM settings").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("stored %d rows, want %d (failed writes must leave nothing, successes must all land)", got, want)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := func() error {
			return db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO settings (name, value, updated_at) VALUES ('x', 'y', 1)")
				return err
			})
		}
		if err := ins(); err != nil {
			t.Fatal(err)
		}
		err := ins()
		if !store.IsUnique(err) {
			t.Fatalf("second insert: want a unique violation, got %v", err)
		}
	})
}

func TestPanicInWriteIsAnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		err := db.Write(context.Background(), func(tx *store.Tx) error { panic("boom") })
		if err == nil {
			t.Fatal("a panicking write reported success")
		}
		// The writer still works.
		if err := db.Write(context.Background(), func(tx *store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAfterRunsOnlyOnCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ran := 0
		db.Write(context.Background(), func(tx *store.Tx) error {
			tx.After(func() { ran++ })
			return errors.New("no")
		})
		db.Write(context.Background(), func(tx *store.Tx) error {
			tx.After(func() { ran += 10 })
			return nil
		})
		if ran != 10 {
			t.Fatalf("after-commit hooks ran %d, want only the committed one (10)", ran)
		}
	})
}

func TestAuditLogRefusesUpdateAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (chain, seq, at, actor, role, unit, action, record_type, record_id, client_addr, outcome, prev_hash, hash)
				VALUES (0, 1, 1, 'a', 'admin', '', 'x', 'y', '1', '', 'ok', $1, $2)`, []byte{0}, []byte{1})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"UPDATE audit_log SET actor = 'b'", "DELETE FROM audit_log"} {
			err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, q); return err })
			if err == nil {
				t.Errorf("%s succeeded on the append-only audit log", q)
			}
		}
	})
}

func TestReaderCannotWriteOnSQLite(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	_, err := db.Read().Exec("INSERT INTO settings (name, value, updated_at) VALUES ('r', 'w', 1)")
	if err == nil {
		t.Fatal("the read pool wrote to the database")
	}
}

func TestParseDSN(t *testing.T) {
	for _, c := range []struct {
		in     string
		engine store.Engine
		ok     bool
	}{
		{"sqlite:treem.db", store.SQLite, true},
		{"sqlite:///tmp/x.db", store.SQLite, true},
		{"data/treem.db", store.SQLite, true},
		{"postgres://u@h/db", store.Postgres, true},
		{"postgresql://u@h/db", store.Postgres, true},
		{"mysql://u@h/db", "", false},
	} {
		e, _, err := store.ParseDSN(c.in)
		if (err == nil) != c.ok || e != c.engine {
			t.Errorf("ParseDSN(%q) = %q, %v", c.in, e, err)
		}
	}
}

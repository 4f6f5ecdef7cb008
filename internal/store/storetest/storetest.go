// Package storetest opens a real, empty, migrated database for a test:
// SQLite in a temporary directory always, and PostgreSQL when
// TREEM_TEST_POSTGRES names a server (each test gets a schema of its own,
// dropped afterwards).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"treem/internal/store"
)

// Engines lists the engines tests should run on: SQLite, and PostgreSQL
// when TREEM_TEST_POSTGRES is set.
func Engines() []store.Engine {
	if os.Getenv("TREEM_TEST_POSTGRES") != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// DSN returns the address of a new empty database of the given engine and
// registers its removal with t.Cleanup.
func DSN(t testing.TB, engine store.Engine) string {
	t.Helper()
	switch engine {
	case store.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "treem.db")
	case store.Postgres:
		base := os.Getenv("TREEM_TEST_POSTGRES")
		if base == "" {
			t.Skip("TREEM_TEST_POSTGRES is not set")
		}
		var b [6]byte
		rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatalf("open %s: %v", base, err)
		}
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			admin.Close()
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("TREEM_TEST_POSTGRES: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	t.Fatalf("unknown engine %q", engine)
	return ""
}

// Open returns a migrated database of the given engine, closed when the test
// ends. SQLite runs with synchronous=NORMAL to keep the suite quick; the
// durability of FULL is tested where it matters.
func Open(t testing.TB, engine store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, DSN(t, engine), store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return db
}

// Each runs f as a subtest once per engine.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			f(t, Open(t, e))
		})
	}
}

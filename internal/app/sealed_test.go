package app

import (
	"regexp"
	"strings"
	"testing"

	"treem/internal/store"
)

// notSealed are binary columns that hold no encrypted value: hashes and
// sort keys. Every other BLOB column must be registered for key rotation,
// or `treem keys rotate` would leave it on the old key.
var notSealed = map[string]bool{
	"sessions.id_hash": true, "api_tokens.hash": true,
	"audit_log.prev_hash": true, "audit_log.hash": true, "audit_head.hash": true,
	"contacts.caller_hash": true, "contacts.tracking_hash": true, "hotline_blocks.caller_hash": true,
	"zalo_conversations.user_hash": true,
	"children.name_key":            true, "children.source_fp": true, // a collation key, a keyed fingerprint
	"indicator_snapshots.data": true, // aggregate counts, no personal data
}

func TestEveryEncryptedColumnIsRotated(t *testing.T) {
	registered := map[string]bool{}
	for _, c := range sealedColumns() {
		registered[c.Table+"."+c.Column] = true
	}
	migs, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?(\w+)`)
	alter := regexp.MustCompile(`(?i)ALTER TABLE (\w+) ADD COLUMN (\w+) BLOB`)
	col := regexp.MustCompile(`^\s*(\w+)\s+BLOB`)
	for _, m := range migs {
		current := ""
		for _, line := range strings.Split(m.SQL, "\n") {
			if tm := table.FindStringSubmatch(line); tm != nil {
				current = tm[1]
			}
			name := ""
			if am := alter.FindStringSubmatch(line); am != nil {
				current, name = am[1], am[2]
			} else if cm := col.FindStringSubmatch(line); cm != nil {
				name = cm[1]
			}
			if name == "" {
				continue
			}
			key := current + "." + name
			if notSealed[key] || strings.HasSuffix(name, "_sort") || strings.HasSuffix(name, "_hash") || strings.HasSuffix(name, "sort_key") {
				continue
			}
			if !registered[key] {
				t.Errorf("%04d_%s: %s is a BLOB column but not in sealedColumns (internal/app/app.go); if it holds no encrypted value add it to notSealed", m.Version, m.Name, key)
			}
		}
	}
}

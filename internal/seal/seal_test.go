package seal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"treem/internal/seal"
)

var now = time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)

func newRing(t *testing.T) (*seal.Keyring, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "treem.key")
	k, created, err := seal.LoadOrCreate(path, now)
	if err != nil || !created {
		t.Fatalf("LoadOrCreate: created=%v err=%v", created, err)
	}
	return k, path
}

func TestSealOpenRoundTrip(t *testing.T) {
	k, _ := newRing(t)
	secret := "Bé bị đánh tại nhà, số 12 ngõ 3"
	sealed, err := k.SealString("children.notes", secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("ngõ")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.OpenString("children.notes", sealed)
	if err != nil || got != secret {
		t.Fatalf("open: %q, %v", got, err)
	}
}

func TestSealedValueIsBoundToItsContext(t *testing.T) {
	k, _ := newRing(t)
	sealed, _ := k.SealString("contacts.summary", "x")
	if _, err := k.OpenString("children.notes", sealed); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("opened a value under another context: %v", err)
	}
}

func TestTamperedValueDoesNotOpen(t *testing.T) {
	k, _ := newRing(t)
	sealed, _ := k.SealString("c", "hello")
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open("c", sealed); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("tampered value opened: %v", err)
	}
}

func TestKeyFileIsPrivate(t *testing.T) {
	_, path := newRing(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestRotationKeepsOldDataReadable(t *testing.T) {
	k, path := newRing(t)
	old, _ := k.SealString("c", "before rotation")
	oldKey := k.Active()
	lookupBefore := k.Lookup("phone", "0912345678")

	newID, err := seal.Rotate(path, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Reload(); err != nil {
		t.Fatal(err)
	}
	if k.Active() != newID || newID == oldKey {
		t.Fatalf("active key %s after rotation, want new %s", k.Active(), newID)
	}
	if got, err := k.OpenString("c", old); err != nil || got != "before rotation" {
		t.Fatalf("old value after rotation: %q, %v", got, err)
	}
	resealed, changed, err := k.Reseal("c", old)
	if err != nil || !changed {
		t.Fatalf("reseal: changed=%v err=%v", changed, err)
	}
	if id, _ := seal.KeyOf(resealed); id != newID {
		t.Fatalf("resealed with %s, want %s", id, newID)
	}
	if !bytes.Equal(k.Lookup("phone", "0912345678"), lookupBefore) {
		t.Fatal("lookup hashes changed with rotation: existing look-ups would be lost")
	}
	if err := seal.Retire(path, []string{oldKey}); err != nil {
		t.Fatal(err)
	}
	k.Reload()
	if _, err := k.Open("c", old); !errors.Is(err, seal.ErrOpen) {
		t.Fatal("a value sealed with a retired key still opened")
	}
	if err := seal.Retire(path, []string{newID}); err == nil {
		t.Fatal("retired the active key")
	}
}

func TestLookupSeparatesPurposes(t *testing.T) {
	k, _ := newRing(t)
	if bytes.Equal(k.Lookup("phone", "1"), k.Lookup("zalo", "1")) {
		t.Fatal("same hash for different purposes")
	}
	if !bytes.Equal(k.Lookup("phone", "1"), k.Lookup("phone", "1")) {
		t.Fatal("lookup is not deterministic")
	}
}

// Package seal holds treem's keys and what is done with them: encrypting
// sensitive fields at rest (AES-256-GCM), keyed hashes for looking up
// encrypted values (a caller's phone number) and the key of the audit
// chain's MAC.
//
// The keys live in a key file outside the database, so that a copy of the
// database alone reveals no narrative, phone number or attachment. The file
// holds several field-encryption keys: new data is sealed with the active
// one, old data stays readable until it is re-sealed (key rotation). The
// lookup and audit keys never rotate: rotating them would orphan every hash
// made with them.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// File is the key file's JSON form.
type File struct {
	Version int               `json:"version"`
	Active  string            `json:"active"`            // id of the field key new data is sealed with
	Keys    map[string]string `json:"keys"`              // id → base64 of 32 bytes
	Lookup  string            `json:"lookup"`            // base64 of 32 bytes: keyed hashes for look-ups
	Audit   string            `json:"audit"`             // base64 of 32 bytes: the audit chain's MAC
	Created map[string]string `json:"created,omitempty"` // id → RFC 3339 time the key was made
}

// Keyring seals and opens values. It is safe for concurrent use and can be
// reloaded while in use (after a rotation).
type Keyring struct {
	mu     sync.RWMutex
	active string
	aeads  map[string]cipher.AEAD
	lookup []byte
	audit  []byte
	path   string
}

// ErrNoKeyFile is returned by Load when the file does not exist.
var ErrNoKeyFile = errors.New("key file not found")

// Generate returns a new key file content with one field key.
func Generate(now time.Time) File {
	id := keyID(now)
	return File{
		Version: 1,
		Active:  id,
		Keys:    map[string]string{id: random32()},
		Lookup:  random32(),
		Audit:   random32(),
		Created: map[string]string{id: now.UTC().Format(time.RFC3339)},
	}
}

func keyID(now time.Time) string { return "k" + now.UTC().Format("20060102150405") }

func random32() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // the system has no randomness; nothing is safe to do
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// Load reads a key file.
func Load(path string) (*Keyring, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKeyFile, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	k, err := New(f)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	k.path = path
	return k, nil
}

// LoadOrCreate reads path, or creates it with new keys (mode 0600) when it
// does not exist.
func LoadOrCreate(path string, now time.Time) (*Keyring, bool, error) {
	k, err := Load(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, ErrNoKeyFile) {
		return nil, false, err
	}
	f := Generate(now)
	if err := Write(path, f); err != nil {
		return nil, false, err
	}
	k, err = Load(path)
	return k, true, err
}

// Write saves a key file atomically with mode 0600.
func Write(path string, f File) error {
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".treem-key-*")
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// New builds a keyring from a key file's content.
func New(f File) (*Keyring, error) {
	k := &Keyring{}
	if err := k.set(f); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Keyring) set(f File) error {
	if len(f.Keys) == 0 {
		return errors.New("no field keys")
	}
	aeads := map[string]cipher.AEAD{}
	for id, b64 := range f.Keys {
		if len(id) == 0 || len(id) > 255 {
			return fmt.Errorf("key id %q: 1 to 255 characters", id)
		}
		key, err := decode32(b64)
		if err != nil {
			return fmt.Errorf("key %s: %w", id, err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return err
		}
		a, err := cipher.NewGCM(block)
		if err != nil {
			return err
		}
		aeads[id] = a
	}
	if _, ok := aeads[f.Active]; !ok {
		return fmt.Errorf("active key %q is not in the file", f.Active)
	}
	lookup, err := decode32(f.Lookup)
	if err != nil {
		return fmt.Errorf("lookup key: %w", err)
	}
	audit, err := decode32(f.Audit)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	k.mu.Lock()
	k.active, k.aeads, k.lookup, k.audit = f.Active, aeads, lookup, audit
	k.mu.Unlock()
	return nil
}

// Reload reads the key file again (after `treem keys rotate`).
func (k *Keyring) Reload() error {
	if k.path == "" {
		return errors.New("keyring has no file")
	}
	n, err := Load(k.path)
	if err != nil {
		return err
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	k.mu.Lock()
	k.active, k.aeads, k.lookup, k.audit = n.active, n.aeads, n.lookup, n.audit
	k.mu.Unlock()
	return nil
}

// Path is the key file the keyring was read from.
func (k *Keyring) Path() string { return k.path }

func decode32(b64 string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("want 32 bytes, have %d", len(b))
	}
	return b, nil
}

// Active is the id of the key new data is sealed with.
func (k *Keyring) Active() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.active
}

// KeyIDs lists the field keys, sorted.
func (k *Keyring) KeyIDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Sealed values start with this byte, so a format change can be recognised.
const formatV1 = 1

// Seal encrypts plaintext with the active key. context names what is sealed
// ("children.notes"); it is authenticated, so a value cannot be moved to
// another kind of field. An empty plaintext seals to nil.
func (k *Keyring) Seal(context string, plaintext []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return nil, nil
	}
	k.mu.RLock()
	id, a := k.active, k.aeads[k.active]
	k.mu.RUnlock()
	out := make([]byte, 0, 2+len(id)+a.NonceSize()+len(plaintext)+a.Overhead())
	out = append(out, formatV1, byte(len(id)))
	out = append(out, id...)
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return a.Seal(out, nonce, plaintext, []byte(context)), nil
}

// SealString is Seal for text.
func (k *Keyring) SealString(context, s string) ([]byte, error) {
	return k.Seal(context, []byte(s))
}

// ErrOpen is returned when a sealed value cannot be opened.
var ErrOpen = errors.New("sealed value cannot be opened")

// Open decrypts a value made by Seal. nil opens to nil.
func (k *Keyring) Open(context string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	id, rest, err := split(sealed)
	if err != nil {
		return nil, err
	}
	k.mu.RLock()
	a, ok := k.aeads[id]
	k.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: key %s is not in the key file", ErrOpen, id)
	}
	if len(rest) < a.NonceSize()+a.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrOpen)
	}
	pt, err := a.Open(nil, rest[:a.NonceSize()], rest[a.NonceSize():], []byte(context))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	return pt, nil
}

// OpenString is Open for text.
func (k *Keyring) OpenString(context string, sealed []byte) (string, error) {
	b, err := k.Open(context, sealed)
	return string(b), err
}

// KeyOf returns the id of the key a sealed value was made with.
func KeyOf(sealed []byte) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

func split(sealed []byte) (id string, rest []byte, err error) {
	if len(sealed) < 2 || sealed[0] != formatV1 {
		return "", nil, fmt.Errorf("%w: unknown format", ErrOpen)
	}
	n := int(sealed[1])
	if len(sealed) < 2+n {
		return "", nil, fmt.Errorf("%w: truncated", ErrOpen)
	}
	return string(sealed[2 : 2+n]), sealed[2+n:], nil
}

// Reseal opens a value and seals it again with the active key; values
// already sealed with the active key are returned unchanged.
func (k *Keyring) Reseal(context string, sealed []byte) ([]byte, bool, error) {
	id, err := KeyOf(sealed)
	if err != nil || len(sealed) == 0 {
		return sealed, false, err
	}
	if id == k.Active() {
		return sealed, false, nil
	}
	pt, err := k.Open(context, sealed)
	if err != nil {
		return nil, false, err
	}
	out, err := k.Seal(context, pt)
	return out, true, err
}

// Lookup is a keyed hash of a value for finding records by it without
// storing it in clear (a caller's normalised phone number, say). purpose
// separates kinds of values.
func (k *Keyring) Lookup(purpose, value string) []byte {
	k.mu.RLock()
	key := k.lookup
	k.mu.RUnlock()
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// AuditMAC returns a new keyed hash for the audit chain.
func (k *Keyring) AuditMAC() func(data []byte) []byte {
	k.mu.RLock()
	key := k.audit
	k.mu.RUnlock()
	return func(data []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(data)
		return m.Sum(nil)
	}
}

// Rotate adds a new field key to the file at path and makes it active. Old
// keys stay so that existing data remains readable until re-sealed.
func Rotate(path string, now time.Time) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read key file: %w", err)
	}
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		return "", fmt.Errorf("key file %s: %w", path, err)
	}
	id := keyID(now)
	for f.Keys[id] != "" {
		now = now.Add(time.Second)
		id = keyID(now)
	}
	f.Keys[id] = random32()
	if f.Created == nil {
		f.Created = map[string]string{}
	}
	f.Created[id] = now.UTC().Format(time.RFC3339)
	f.Active = id
	if _, err := New(f); err != nil {
		return "", err
	}
	return id, Write(path, f)
}

// Retire removes field keys other than the active one from the file, once
// no data is sealed with them any more.
func Retire(path string, ids []string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read key file: %w", err)
	}
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		return err
	}
	for _, id := range ids {
		if id == f.Active {
			return fmt.Errorf("key %s is active and cannot be retired", id)
		}
		delete(f.Keys, id)
		delete(f.Created, id)
	}
	return Write(path, f)
}

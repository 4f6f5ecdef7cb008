package auth

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"treem/internal/vntext"
)

// Argon2id parameters: OWASP's recommendation for a modest server
// (19 MiB, two passes, one lane). A login costs about 30 ms of one core,
// cheap for people and expensive for someone guessing.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash made by
// HashPassword (with any parameters, so that they can be raised later).
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unsupported argon2 version")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("argon2 parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when the user does not exist, so that the
// answer takes as long as for a real account.
var dummyHash, _ = HashPassword("treem-no-such-user")

// GeneratePassword returns a random password that is easy to read aloud and
// type on a phone: four groups of four from an alphabet without look-alikes.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

// MinPasswordLength is the shortest password accepted. Length beats
// composition rules (NIST SP 800-63B).
const MinPasswordLength = 12

//go:embed common_passwords.txt
var commonText string

// common holds passwords attackers try first; commonBases the words that,
// followed only by digits and symbols, make such a password too. Both are
// folded (vntext.Fold, no spaces).
var common, commonBases = loadCommon(commonText)

func loadCommon(text string) (map[string]bool, map[string]bool) {
	words, bases := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if b, ok := strings.CutSuffix(line, "*"); ok {
			bases[b] = true
			continue
		}
		words[line] = true
	}
	return words, bases
}

// isCommon reports whether a folded password is on the list, or a listed
// base followed by nothing but digits and symbols.
func isCommon(folded string) bool {
	if common[folded] {
		return true
	}
	base := strings.TrimRightFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) })
	return base != "" && commonBases[base]
}

// PolicyError says why a password was refused, as an i18n key.
type PolicyError struct{ Key string }

func (e *PolicyError) Error() string { return "password refused: " + e.Key }

// CheckPolicy returns a *PolicyError when password may not be used by the
// account named username.
func CheckPolicy(password, username string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return &PolicyError{Key: "password.too_short"}
	}
	if utf8.RuneCountInString(password) > 200 {
		return &PolicyError{Key: "password.too_long"}
	}
	folded := strings.ReplaceAll(vntext.Fold(password), " ", "")
	if isCommon(folded) || isCommon(strings.ToLower(password)) {
		return &PolicyError{Key: "password.common"}
	}
	if username != "" && len(username) >= 3 && (strings.Contains(strings.ToLower(password), strings.ToLower(username)) ||
		strings.Contains(folded, strings.ReplaceAll(vntext.Fold(username), " ", ""))) {
		return &PolicyError{Key: "password.contains_username"}
	}
	distinct := map[rune]bool{}
	for _, r := range password {
		if !unicode.IsSpace(r) {
			distinct[r] = true
		}
	}
	if len(distinct) < 4 {
		return &PolicyError{Key: "password.too_simple"}
	}
	return nil
}

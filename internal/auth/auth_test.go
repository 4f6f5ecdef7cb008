package auth

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1, truncated to the 6 digits apps show.
func TestTOTPMatchesRFC6238(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, c := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		got, err := TOTPCode(secret, time.Unix(c.unix, 0))
		if err != nil || got != c.want {
			t.Errorf("T=%d: %s, want %s (%v)", c.unix, got, c.want, err)
		}
	}
}

func TestTOTPAcceptsDriftAndRefusesReplay(t *testing.T) {
	secret := NewTOTPSecret()
	now := time.Unix(1_800_000_000, 0)
	prev, _ := TOTPCode(secret, now.Add(-30*time.Second))
	step, err := checkTOTP(secret, prev, now, 0)
	if err != nil || step == 0 {
		t.Fatalf("a code one step old was refused: %v", err)
	}
	if again, _ := checkTOTP(secret, prev, now, step); again != 0 {
		t.Fatal("a used code was accepted again")
	}
	old, _ := TOTPCode(secret, now.Add(-2*time.Minute))
	if s, _ := checkTOTP(secret, old, now, 0); s != 0 {
		t.Fatal("a two-minute-old code was accepted")
	}
}

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("một câu dễ nhớ")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q, %v", h, err)
	}
	if ok, _ := CheckPassword(h, "một câu dễ nhớ"); !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := CheckPassword(h, "một câu dễ nhớ "); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("một câu dễ nhớ")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if _, err := CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Fatal("a foreign hash format was accepted")
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		pw, user, key string
	}{
		{"ngắn quá", "lan", "password.too_short"},
		{"1234567890", "lan", "password.too_short"},
		{"mười một ký", "lan", "password.too_short"},
		{"123456789012", "lan", "password.common"},
		{"Tổng đài 111 2026", "lan", "password.common"},
		{"Mật khẩu @2026!", "lan", "password.common"},
		{"Password@123456", "lan", "password.common"},
		{"tôi là Lan Nguyễn", "lan.nguyen", "password.contains_username"},
		{"tôi là LanNguyen", "lannguyen", "password.contains_username"},
		{"lan.nguyen-2026", "lan.nguyen", "password.contains_username"},
		{"aaaaaaaaaaaa", "lan", "password.too_simple"},
		{"một câu dễ nhớ của tôi", "lan", ""},
	} {
		err := CheckPolicy(c.pw, c.user)
		got := ""
		if pe, ok := err.(*PolicyError); ok {
			got = pe.Key
		}
		if got != c.key {
			t.Errorf("%q: %q, want %q", c.pw, got, c.key)
		}
	}
}

func TestGeneratedPasswordsPassThePolicy(t *testing.T) {
	for i := 0; i < 100; i++ {
		if err := CheckPolicy(GeneratePassword(), "someone"); err != nil {
			t.Fatal(err)
		}
	}
}

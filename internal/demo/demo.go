// Package demo seeds the demonstration data set: one account per role in
// real communes, and (as areas are added) invented children, contacts and
// cases. It never runs unless asked (serve --demo, treem demo).
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"treem/internal/auth"
	"treem/internal/store"
)

// Password is every demo account's password. Demo data is invented, and the
// accounts exist only where --demo was asked for.
const Password = "treem-demo-2026"

// Account is a demo account.
type Account struct {
	Username string
	Name     string
	Role     auth.Role
	Unit     string
}

// Accounts are the demo accounts: one per role, in real units. The two
// commune officers work in neighbouring wards of Hà Nội, so that scope can
// be seen at work.
var Accounts = []Account{
	{"admin", "Quản trị viên", auth.Admin, ""},
	{"phantich", "Trần Thu Hà", auth.Analyst, ""},
	{"tinh.hanoi", "Nguyễn Văn Minh", auth.ProvinceOfficer, "01"},
	{"xa.badinh", "Lê Thị Lan", auth.CommuneOfficer, "00004"},
	{"xa.ngocha", "Phạm Quốc Huy", auth.CommuneOfficer, "00008"},
	{"tuvan", "Đỗ Thị Mai", auth.Counsellor, ""},
	{"giamsat", "Hoàng Văn Nam", auth.Supervisor, ""},
	{"dichvu", "Vũ Thị Hồng", auth.Provider, "00004"},
	{"bientap", "Bùi Minh Anh", auth.Editor, ""},
}

// Seed creates the demo accounts that do not exist yet. It can run on
// every start.
func Seed(ctx context.Context, a *auth.Service) (created int, err error) {
	for _, acc := range Accounts {
		_, err := a.UserByName(ctx, acc.Username)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return created, err
		}
		if _, _, err := a.CreateUser(ctx, nil, auth.NewUser{Username: acc.Username, FullName: acc.Name,
			Role: string(acc.Role), Unit: acc.Unit, Password: Password}); err != nil {
			return created, fmt.Errorf("demo account %s: %w", acc.Username, err)
		}
		created++
	}
	return created, nil
}

// PrintLogin tells a newcomer how to sign in.
func PrintLogin(w io.Writer, url string) {
	fmt.Fprintf(w, "\nDemo data set ready. Open %s and sign in with one of these accounts\n", url)
	fmt.Fprintf(w, "(password for all: %s):\n\n", Password)
	for _, a := range Accounts {
		unit := a.Unit
		if unit == "" {
			unit = "national"
		}
		fmt.Fprintf(w, "  %-12s %-18s %s\n", a.Username, a.Role, unit)
	}
	fmt.Fprintln(w)
}

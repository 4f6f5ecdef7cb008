package children_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"treem/internal/audit"
	"treem/internal/children"
	"treem/internal/geo"
	"treem/internal/ident"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/store/storetest"
)

var (
	benchFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Lò", "Hà", "Triệu", "Mai"}
	benchMiddle = []string{"Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Quốc", "Thanh", "Hữu", "Bảo", "Gia", "Khánh", ""}
	benchGiven  = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khang", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Nhung", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"}
	benchGroups = []string{"a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "n", "o"}
)

// benchFile makes a CSV of n invented children in real communes.
func benchFile(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	communes := geo.Default().Communes("")
	var b bytes.Buffer
	b.WriteString("Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân,Mã xã,Nhóm hoàn cảnh đặc biệt,Số điện thoại,Địa chỉ\n")
	for i := 0; i < n; i++ {
		female := r.IntN(2) == 0
		name := benchFamily[r.IntN(len(benchFamily))]
		if m := benchMiddle[r.IntN(len(benchMiddle))]; m != "" {
			name += " " + m
		}
		name += " " + benchGiven[r.IntN(len(benchGiven))] + " " + benchGiven[r.IntN(len(benchGiven))]
		year := 2009 + r.IntN(17)
		dob := fmt.Sprintf("%02d/%02d/%d", 1+r.IntN(28), 1+r.IntN(12), year)
		sex := "Nam"
		if female {
			sex = "Nữ"
		}
		pid := ""
		if r.IntN(3) == 0 {
			digit := 2
			if female {
				digit = 3
			}
			pid = fmt.Sprintf("%03d%d%02d%06d", 1+r.IntN(90), digit, year%100, i)
			if _, err := ident.ParsePID(pid); err != nil {
				pid = ""
			}
		}
		groups := benchGroups[r.IntN(len(benchGroups))]
		if r.IntN(4) == 0 {
			groups += ";" + benchGroups[r.IntN(len(benchGroups))]
		}
		phone := ""
		if r.IntN(2) == 0 {
			phone = fmt.Sprintf("09%08d", r.IntN(100000000))
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,Thôn %d\n", name, dob, sex, pid, communes[r.IntN(len(communes))].Code,
			groups, phone, 1+r.IntN(20))
	}
	return b.Bytes()
}

// cpuTime is the CPU time the process has used: on a shared machine, rows
// per CPU-second says more about the code than rows per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkImport imports 100,000 generated rows into an empty SQLite
// database with synchronous=FULL, as `treem import children` does (and into
// PostgreSQL too when TREEM_TEST_POSTGRES is set).
func BenchmarkImport(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) { benchImport(b, e) })
	}
}

func benchImport(b *testing.B, engine store.Engine) {
	const rows = 100000
	data := benchFile(rows, 1)
	ctx := audit.WithActor(context.Background(), audit.Actor{Name: "bench", Role: "cli"})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := store.Open(ctx, storetest.DSN(b, engine), store.Options{Synchronous: "FULL"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		keys, err := seal.New(seal.Generate(time.Now()))
		if err != nil {
			b.Fatal(err)
		}
		svc, err := children.New(ctx, children.Deps{DB: db, Keys: keys, Audit: audit.New(db, keys.AuditMAC(), nil)})
		if err != nil {
			b.Fatal(err)
		}
		var phases []children.Progress
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		rep, err := svc.Import(ctx, nil, data, children.ImportOptions{FileName: "bench.csv", Progress: func(p children.Progress) {
			if len(phases) == 0 || phases[len(phases)-1].Phase != p.Phase {
				phases = append(phases, p)
			}
		}})
		took, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		if err != nil || rep.Imported != rows-rep.Duplicates || rep.Invalid != 0 {
			b.Fatalf("import: %+v %v", rep.Invalid, err)
		}
		b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
		b.ReportMetric(float64(rows)/cpu.Seconds(), "rows/cpu-s")
		b.ReportMetric(cpu.Seconds()/took.Seconds(), "cpus")
		db.Close()
	}
}

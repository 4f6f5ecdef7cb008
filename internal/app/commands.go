package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/config"
	"treem/internal/demo"
	"treem/internal/hotline"
	"treem/internal/i18n"
	"treem/internal/indicators"
	"treem/internal/seal"
)

func serve(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("serve", env.Getenv, true)
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	totpSet := env.Getenv("TREEM_REQUIRE_TOTP") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "require-totp" {
			totpSet = true
		}
	})
	if cfg.Demo && !totpSet {
		// Demo accounts are for trying the system out; a second factor
		// would stop a newcomer at the door. Production keeps the default.
		cfg.RequireTOTP = "none"
	}
	start := env.Now()
	log := NewLogger(env.Stderr, cfg.LogLevel)
	inst, err := Build(ctx, cfg, env, log)
	if err != nil {
		return err
	}
	defer inst.Close()
	d, srv := inst.Services, inst.Web
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // imports upload large files over slow links
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another treem running? choose another --addr)", cfg.Addr, err)
	}
	url := "http://" + ln.Addr().String()
	log.Info("listening", "addr", ln.Addr().String(), "db", string(d.DB.Engine), "startup_ms", env.Now().Sub(start).Milliseconds())
	if cfg.Demo {
		demo.PrintLogin(env.Stdout, url)
	} else {
		fmt.Fprintf(env.Stdout, "treem is listening on %s\n", url)
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	go purgeSessions(bg, d)
	go d.Keys.Watch(bg, 10*time.Second, func(err error) { log.Error("reload key file", "err", err.Error()) })
	d.Jobs.Start(bg)
	d.Indicators.Start(bg)

	// Start-up allocates and drops a lot (migrations, argon2 while seeding
	// the demo accounts): give it back to the system before going idle.
	debug.FreeOSMemory()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	// Ready only once Serve runs: a connection waiting in the listen
	// backlog when Shutdown closes the listener would be dropped unanswered.
	if env.Ready != nil {
		env.Ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "timeout", cfg.Shutdown.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Shutdown)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopBG()
	d.Jobs.Wait() // running jobs finish (or are handed back) before the database closes
	if err := d.Indicators.SaveSnapshot(sctx); err != nil {
		log.Warn("indicators: snapshot at shutdown", "err", err.Error())
	}
	log.Info("stopped")
	return nil
}

func purgeSessions(ctx context.Context, d *Services) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.Auth.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
				d.Log.Warn("purge sessions", "err", err.Error())
			}
		}
	}
}

func userAdd(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("user add", env.Getenv, false)
	name := fs.String("name", "", "user name (required), e.g. lan.nguyen")
	role := fs.String("role", "", "role (required): admin, analyst, province_officer, commune_officer, counsellor, supervisor, provider, editor")
	unit := fs.String("unit", "", "province code (2 digits) or commune code (5 digits)")
	fullName := fs.String("full-name", "", "the person's full name")
	email := fs.String("email", "", "e-mail address")
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	if *name == "" || *role == "" {
		return errors.New("user add: --name and --role are required, e.g. treem user add --name lan.nguyen --role commune_officer --unit 00004")
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	u, password, err := d.Auth.CreateUser(cliContext(ctx, env.Getenv), nil, auth.NewUser{
		Username: *name, FullName: *fullName, Email: *email, Role: *role, Unit: *unit})
	if err != nil {
		return cliError(d, err)
	}
	fmt.Fprintf(env.Stdout, "created %s (%s", u.Username, u.Role)
	if u.Unit != "" {
		fmt.Fprintf(env.Stdout, ", unit %s", u.Unit)
	}
	fmt.Fprintf(env.Stdout, ")\npassword: %s\n(it must be changed at the first sign-in)\n", password)
	return nil
}

func tokenCreate(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("token create", env.Getenv, false)
	user := fs.String("user", "", "user name (required)")
	label := fs.String("label", "cli", "what the token is for")
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("token create: --user is required")
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	u, err := d.Auth.UserByName(ctx, *user)
	if err != nil {
		return fmt.Errorf("token create: no account named %q", *user)
	}
	tok, err := d.Auth.CreateToken(cliContext(ctx, env.Getenv), u.ID, *label)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, tok)
	return nil
}

func auditVerify(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("audit verify", env.Getenv, false)
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	rep, err := d.Audit.Verify(ctx)
	if err != nil {
		return err
	}
	if rep.OK() {
		fmt.Fprintf(env.Stdout, "audit log intact: %d entries in %d chains\n", rep.Entries, rep.Chains)
		return nil
	}
	fmt.Fprintf(env.Stdout, "AUDIT LOG BROKEN: %d entries read, %d chains broken\n", rep.Entries, len(rep.Breaks))
	for _, b := range rep.Breaks {
		fmt.Fprintf(env.Stdout, "  %s\n", b)
	}
	return fmt.Errorf("audit log broken at %s", rep.Breaks[0])
}

func backup(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("backup", env.Getenv, false)
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("backup: give the file to write, e.g. treem backup --db sqlite:treem.db backups/treem-2026-11-28.db")
	}
	target := fs.Arg(0)
	if _, err := os.Stat(target); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file name", target)
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	start := env.Now()
	if err := d.DB.Backup(ctx, target); err != nil {
		return err
	}
	if err := d.Audit.Record(cliContext(ctx, env.Getenv), audit.Event{Action: "database.backup", RecordType: "database", RecordID: "sqlite"}); err != nil {
		return err
	}
	fi, _ := os.Stat(target)
	fmt.Fprintf(env.Stdout, "backup written to %s (%d bytes, %s). Keep the key file %s safe too: without it encrypted fields cannot be read.\n",
		target, fi.Size(), env.Now().Sub(start).Round(time.Millisecond), cfg.KeyFile)
	return nil
}

func migrate(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("migrate", env.Getenv, false)
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	v, err := d.DB.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database at migration %04d\n", v)
	return nil
}

func demoCmd(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("demo", env.Getenv, false)
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	d, err := open(ctx, cfg, env, nil, true)
	if err != nil {
		return err
	}
	defer d.close()
	n, err := demo.Seed(cliContext(ctx, env.Getenv), d.Auth)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "demo: %d accounts created (password %s)\n", n, demo.Password)
	return nil
}

func keysInit(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("keys init", env.Getenv, false)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.KeyFile == "" {
		return errors.New("keys init: give --key-file FILE (or TREEM_KEY_FILE)")
	}
	if _, err := os.Stat(cfg.KeyFile); err == nil {
		return fmt.Errorf("keys init: %s exists; it is never overwritten (its keys may be the only way to read your data)", cfg.KeyFile)
	}
	if err := seal.Write(cfg.KeyFile, seal.Generate(env.Now())); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "key file written to %s (mode 0600). Give every treem instance this file and back it up apart from the database.\n", cfg.KeyFile)
	return nil
}

func keysRotate(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("keys rotate", env.Getenv, false)
	settle := fs.Duration("settle", 20*time.Second, "time to let running servers load the new key (they look every 10 s) before re-sealing")
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	old := d.Keys.Active()
	id, err := seal.Rotate(cfg.KeyFile, env.Now())
	if err != nil {
		return err
	}
	if err := d.Keys.Reload(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "new active key %s (was %s) written to %s\n", id, old, cfg.KeyFile)
	if *settle > 0 {
		fmt.Fprintf(env.Stdout, "waiting %s for running servers to load it…\n", *settle)
		select {
		case <-time.After(*settle):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	counts, err := d.Keys.ResealColumns(ctx, d.DB, sealedColumns(), func(c seal.Column, n int) {
		fmt.Fprintf(env.Stdout, "\r  %-30s %d re-sealed", c, n)
	})
	fmt.Fprintln(env.Stdout)
	if err != nil {
		return err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if err := d.Audit.Record(cliContext(ctx, env.Getenv), audit.Event{Action: "keys.rotate", RecordType: "key", RecordID: id,
		Detail: fmt.Sprintf("from=%s resealed=%d", old, total)}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "re-sealed %d values with %s. Once every server runs with the new file, `treem keys retire` removes the old key.\n", total, id)
	return nil
}

func keysRetire(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("keys retire", env.Getenv, false)
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	inUse, err := seal.InUse(ctx, d.DB, sealedColumns())
	if err != nil {
		return err
	}
	active := d.Keys.Active()
	var retire []string
	for _, id := range d.Keys.KeyIDs() {
		if id == active {
			continue
		}
		if n := inUse[id]; n > 0 {
			return fmt.Errorf("keys retire: %d values are still sealed with key %s; run `treem keys rotate` (or let it finish) first", n, id)
		}
		retire = append(retire, id)
	}
	if len(retire) == 0 {
		fmt.Fprintln(env.Stdout, "nothing to retire: only the active key is in the file")
		return nil
	}
	if err := seal.Retire(cfg.KeyFile, retire); err != nil {
		return err
	}
	if err := d.Audit.Record(cliContext(ctx, env.Getenv), audit.Event{Action: "keys.retire", RecordType: "key",
		RecordID: strings.Join(retire, ",")}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "retired %s\n", strings.Join(retire, ", "))
	return nil
}

// national is the scale `treem indicators generate` writes by default:
// two million registry children with their help, ten years of hotline
// contacts, 50,000 cases.
var national = struct{ children, contactsPerYear, years, cases int }{2_000_000, 500_000, 10, 50_000}

// indicatorsGenerate fills the registry, the hotline and the case area
// with invented records (children.Generate, hotline's Generate,
// cases.Generate), for the benchmark and for trying the dashboards.
// --only writes some areas into a database that has the others.
func indicatorsGenerate(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("indicators generate", env.Getenv, false)
	kids := fs.Int("children", national.children, "registry children")
	contacts := fs.Int("contacts-per-year", national.contactsPerYear, "hotline contacts a year")
	years := fs.Int("years", national.years, "years of data, up to --last-year")
	last := fs.Int("last-year", env.Now().Year(), "last year of data")
	nCases := fs.Int("cases", national.cases, "cases")
	only := fs.String("only", "children,contacts,cases", "the areas to generate, comma-separated: children, contacts, cases")
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	areas := map[string]bool{}
	for a := range strings.SplitSeq(*only, ",") {
		switch a = strings.TrimSpace(a); a {
		case "children", "contacts", "cases":
			areas[a] = true
		case "":
		default:
			return fmt.Errorf("--only: unknown area %q (children, contacts, cases)", a)
		}
	}
	if len(areas) == 0 {
		return errors.New("--only: name at least one area (children, contacts, cases)")
	}
	if *years < 1 {
		return errors.New("--years must be at least 1")
	}
	d, err := open(ctx, cfg, env, nil, true)
	if err != nil {
		return err
	}
	defer d.close()
	start := time.Now()
	first := *last - *years + 1
	if areas["children"] {
		err = children.Generate(ctx, d.DB, children.GenOptions{Children: *kids, FirstYear: first, LastYear: *last, Seed: 6, At: env.Now()},
			func(n int) {
				if n%200_000 == 0 || n == *kids {
					fmt.Fprintf(env.Stdout, "%d children\n", n)
				}
			})
		if err != nil {
			return err
		}
	}
	if areas["contacts"] {
		// Contacts over the whole years: up to the end of the last year, or now.
		end := time.Date(*last, 12, 31, 16, 0, 0, 0, time.UTC) // 23:00 in Vietnam
		if now := env.Now(); end.After(now) {
			end = now
		}
		hl := hotline.New(hotline.Deps{DB: d.DB, Keys: d.Keys, Audit: d.Audit, Jobs: d.Jobs, Now: env.Now, Config: hotlineConfig(cfg)})
		total := *contacts * *years
		err = hl.Generate(ctx, hotline.GenOptions{Contacts: total, Span: end.Sub(time.Date(first, 1, 1, 0, 0, 0, 0, i18n.Vietnam)),
			End: end, Seed: 6}, func(n int) {
			if n%500_000 < 2000 || n == total {
				fmt.Fprintf(env.Stdout, "%d contacts\n", n)
			}
		})
		if err != nil {
			return err
		}
	}
	if areas["cases"] {
		err = cases.Generate(ctx, d.DB, cases.GenOptions{Cases: *nCases, FirstYear: first, LastYear: *last, Seed: 6, At: env.Now()},
			func(n int) {
				if n%10_000 == 0 || n == *nCases {
					fmt.Fprintf(env.Stdout, "%d cases\n", n)
				}
			})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "generated in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// indicatorsVerify builds the indicators from the records and compares
// every measure with plain SQL for the periods given.
func indicatorsVerify(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("indicators verify", env.Getenv, false)
	periods := fs.String("periods", strconv.Itoa(env.Now().Year()-1), "periods, ;-separated (2025;2025Q1;202503)")
	if err := parse(fs, cfg, env, args); err != nil {
		return err
	}
	ps, err := indicators.ParsePeriods(*periods)
	if err != nil {
		return err
	}
	d, err := open(ctx, cfg, env, nil, true)
	if err != nil {
		return err
	}
	defer d.close()
	ind, err := openIndicators(ctx, d)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := ind.Build(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "built from the records in %s\n", time.Since(t0).Round(time.Millisecond))
	rep, err := ind.Verify(ctx, ps)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "measures %v\ncompared %d figures: %d mismatches; plain SQL %s, engine %s\n",
		rep.Measures, rep.Compared, len(rep.Mismatches), rep.SQLTime.Round(time.Millisecond), rep.EngineTime.Round(time.Millisecond))
	if !rep.OK() {
		return fmt.Errorf("mismatches: %+v", rep.Mismatches)
	}
	return ind.SaveSnapshot(ctx)
}

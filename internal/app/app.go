// Package app wires treem together: it parses the command line, builds the
// configuration, opens the store and runs the sub-command asked for. Tests
// call Run as users run the binary.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"treem/internal/attachments"
	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/config"
	"treem/internal/errs"
	"treem/internal/hotline"
	"treem/internal/i18n"
	"treem/internal/indicators"
	"treem/internal/jobs"
	"treem/internal/privacy"
	"treem/internal/referrals"
	"treem/internal/seal"
	"treem/internal/store"
)

// Env is what a run gets from the outside world.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Now is the clock; nil means time.Now. Tests drive time with it.
	Now func() time.Time
	// Ready, when set, receives the server's address once it listens.
	Ready chan<- string
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server", serve},
		{"user add", "create an account and print its password", userAdd},
		{"token create", "print an API token for an account", tokenCreate},
		{"audit verify", "check the audit log's hash chains", auditVerify},
		{"backup", "write a consistent copy of a live SQLite database to FILE", backup},
		{"migrate", "apply database migrations and exit", migrate},
		{"demo", "seed the demo accounts into a database", demoCmd},
		{"import children", "import a CSV or XLSX file of children into the registry", importChildren},
		{"keys init", "create a new key file", keysInit},
		{"keys rotate", "make a new encryption key active and re-seal stored data with it", keysRotate},
		{"keys retire", "remove encryption keys no stored value uses any more", keysRetire},
		{"indicators generate", "fill the registry, the hotline and the case area with invented national-scale data (--only cases: one area)", indicatorsGenerate},
		{"indicators verify", "build the indicators and compare them with plain SQL (--periods 2025;2025Q1)", indicatorsVerify},
	}
}

// Run runs treem with the given arguments (without the program name).
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return RunEnv(ctx, Env{Args: args, Getenv: getenv, Stdout: stdout, Stderr: stderr})
}

// RunEnv is Run with every dependency explicit.
func RunEnv(ctx context.Context, env Env) error {
	if env.Now == nil {
		env.Now = time.Now
	}
	if len(env.Args) == 0 || env.Args[0] == "help" || env.Args[0] == "-h" || env.Args[0] == "--help" {
		usage(env.Stdout)
		return nil
	}
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(env.Args) >= len(words) && strings.Join(env.Args[:len(words)], " ") == c.name {
			err := c.run(ctx, env, env.Args[len(words):])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	usage(env.Stderr)
	return fmt.Errorf("unknown command %q", strings.Join(env.Args, " "))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "treem — child protection information system")
	fmt.Fprintln(w, "\nUsage: treem COMMAND [flags]   (treem COMMAND -h for a command's flags)")
	fmt.Fprintln(w, "\nCommands:")
	cs := commands()
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].name == "serve" && cs[j].name != "serve" })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nEvery command takes --db (sqlite:FILE or postgres://…, also TREEM_DB) and --key-file (TREEM_KEY_FILE).")
}

// parse parses a command's flags; the caller may add its own first.
func parse(fs *flag.FlagSet, cfg *config.Config, env Env, args []string) error {
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 && fs.Name() != "backup" && fs.Name() != "import children" {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return cfg.Check(env.Getenv)
}

// Services are what most commands need: the store, the keys, the audit
// log, accounts.
type Services struct {
	Cfg   *config.Config
	DB    *store.DB
	Keys  *seal.Keyring
	Audit *audit.Log
	Auth  *auth.Service
	I18n  *i18n.Bundle
	Log   *slog.Logger
	Now   func() time.Time
	Jobs  *jobs.Queue

	Indicators *indicators.Service // set by Build
}

// open connects, migrates and loads the keys. createKeys allows making a
// key file on first use (SQLite, or the demo).
func open(ctx context.Context, cfg *config.Config, env Env, log *slog.Logger, createKeys bool) (*Services, error) {
	db, err := store.Open(ctx, cfg.DB, store.Options{Synchronous: cfg.SQLiteSync, ReadConns: cfg.ReadConns})
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 && log != nil {
		log.Info("migrations applied", "versions", applied)
	}
	var keys *seal.Keyring
	if createKeys || db.Engine == store.SQLite {
		var created bool
		keys, created, err = seal.LoadOrCreate(cfg.KeyFile, env.Now())
		if created && log != nil {
			log.Warn("created a new key file: back it up apart from the database; without it encrypted fields cannot be read", "file", cfg.KeyFile)
		}
	} else {
		keys, err = seal.Load(cfg.KeyFile)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	b, err := i18n.Load()
	if err != nil {
		db.Close()
		return nil, err
	}
	al := audit.New(db, keys.AuditMAC(), env.Now)
	acfg := auth.DefaultConfig()
	if cfg.SessionTTL > 0 {
		acfg.SessionTTL = cfg.SessionTTL
	}
	if cfg.IdleTimeout > 0 {
		acfg.IdleTimeout = cfg.IdleTimeout
	}
	if cfg.RequireTOTP != "" {
		acfg.RequireTOTP = nil
		for _, r := range config.Roles(cfg.RequireTOTP) {
			role, ok := auth.ParseRole(r)
			if !ok {
				db.Close()
				return nil, fmt.Errorf("--require-totp: unknown role %q", r)
			}
			acfg.RequireTOTP = append(acfg.RequireTOTP, role)
		}
	}
	q := jobs.New(db, log, env.Now)
	q.Workers = config.DefaultJobWorkers
	if cfg.JobWorkers > 0 {
		q.Workers = cfg.JobWorkers
	}
	return &Services{Cfg: cfg, DB: db, Keys: keys, Audit: al, I18n: b, Log: log, Now: env.Now,
		Auth: auth.NewService(db, keys, al, acfg, env.Now), Jobs: q}, nil
}

func (d *Services) close() { d.DB.Close() }

// NewLogger writes JSON lines: structured, and never with personal data
// (handlers log routes and ids only).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	switch level {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv}))
}

// cliContext makes the audit log name the operating-system user as the
// actor of command-line actions.
func cliContext(ctx context.Context, getenv func(string) string) context.Context {
	who := getenv("USER")
	if who == "" {
		who = "unknown"
	}
	return audit.WithActor(ctx, audit.Actor{Name: "cli:" + who, Role: "cli", Client: "local"})
}

// cliError explains a user-safe error on the command line, in English with
// every field problem; other errors pass through.
func cliError(d *Services, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Status >= 500 {
		return err
	}
	l := d.I18n.For("en")
	msg := l.T(e.Key, e.Args)
	names := make([]string, 0, len(e.Fields))
	for name := range e.Fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fe := e.Fields[name]
		msg += fmt.Sprintf("\n  --%s: %s", name, l.T(fe.Key, fe.Args))
	}
	return errors.New(msg)
}

// sealedColumns lists every encrypted column of every area, for key
// rotation. An area with encrypted columns adds its list here.
func sealedColumns() []seal.Column {
	return slices.Concat(auth.SealedColumns, children.SealedColumns, hotline.SealedColumns, cases.SealedColumns,
		referrals.SealedColumns, attachments.SealedColumns,
		privacy.SealedColumns)
}

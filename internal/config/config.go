// Package config builds treem's typed configuration from command-line flags
// and TREEM_* environment variables (a flag wins over its variable), and
// checks it before anything starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"treem/internal/store"
)

// Config is everything treem can be told.
type Config struct {
	Addr        string        // TREEM_ADDR
	DB          string        // TREEM_DB: sqlite:FILE or postgres://…
	KeyFile     string        // TREEM_KEY_FILE
	SQLiteSync  string        // TREEM_SQLITE_SYNC: FULL, NORMAL, OFF
	Demo        bool          // seed the demo data set
	BaseURL     string        // TREEM_BASE_URL: the public address, for links in e-mails
	TrustProxy  bool          // TREEM_TRUST_PROXY: take the client address from X-Forwarded-For
	Secure      string        // TREEM_SECURE_COOKIES: auto, always, never
	LogLevel    string        // TREEM_LOG_LEVEL: debug, info, warn, error
	SessionTTL  time.Duration // TREEM_SESSION_TTL
	IdleTimeout time.Duration // TREEM_IDLE_TIMEOUT
	RequireTOTP string        // TREEM_REQUIRE_TOTP: roles, comma-separated; "none" for none
	Shutdown    time.Duration // TREEM_SHUTDOWN_TIMEOUT: how long in-flight requests may finish

	// IndicatorStandins counts the indicators' stand-in tables (package
	// indicators/standin) while the registry, hotline and case areas are
	// not yet wired: for tests, the benchmark and trying the dashboards.
	IndicatorStandins bool // TREEM_INDICATOR_STANDINS=1
}

// Getenv is os.Getenv; tests pass their own.
type Getenv func(string) string

// FlagSet returns a flag set with the options every sub-command shares
// (database and key file) and, when serve is true, the server's options.
// Defaults come from the environment.
func FlagSet(name string, getenv Getenv, serve bool) (*flag.FlagSet, *Config) {
	c := &Config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.DB, "db", env("TREEM_DB", "sqlite:treem.db"), "database: sqlite:FILE or postgres://USER@HOST/DB (TREEM_DB)")
	fs.StringVar(&c.KeyFile, "key-file", env("TREEM_KEY_FILE", ""), "key file for encryption at rest; default: beside the SQLite file (TREEM_KEY_FILE)")
	fs.StringVar(&c.SQLiteSync, "sqlite-sync", env("TREEM_SQLITE_SYNC", "FULL"), "SQLite synchronous mode: FULL, NORMAL or OFF (TREEM_SQLITE_SYNC)")
	if serve {
		fs.StringVar(&c.Addr, "addr", env("TREEM_ADDR", "127.0.0.1:8111"), "address to listen on (TREEM_ADDR)")
		fs.BoolVar(&c.Demo, "demo", env("TREEM_DEMO", "") == "1", "seed demo accounts and data (TREEM_DEMO=1)")
		fs.StringVar(&c.BaseURL, "base-url", env("TREEM_BASE_URL", ""), "public address, for links in e-mails (TREEM_BASE_URL)")
		fs.BoolVar(&c.TrustProxy, "trust-proxy", env("TREEM_TRUST_PROXY", "") == "1", "behind a reverse proxy: read the client address from X-Forwarded-For (TREEM_TRUST_PROXY=1)")
		fs.StringVar(&c.Secure, "secure-cookies", env("TREEM_SECURE_COOKIES", "auto"), "mark cookies Secure: auto, always or never (TREEM_SECURE_COOKIES)")
		fs.StringVar(&c.LogLevel, "log-level", env("TREEM_LOG_LEVEL", "info"), "debug, info, warn or error (TREEM_LOG_LEVEL)")
		fs.DurationVar(&c.SessionTTL, "session-ttl", envDuration(getenv, "TREEM_SESSION_TTL", 12*time.Hour), "longest a session lasts (TREEM_SESSION_TTL)")
		fs.DurationVar(&c.IdleTimeout, "idle-timeout", envDuration(getenv, "TREEM_IDLE_TIMEOUT", 30*time.Minute), "a session unused this long ends (TREEM_IDLE_TIMEOUT)")
		fs.StringVar(&c.RequireTOTP, "require-totp", env("TREEM_REQUIRE_TOTP", "admin,analyst,province_officer"), "roles that must use a second factor, or none (TREEM_REQUIRE_TOTP)")
		fs.BoolVar(&c.IndicatorStandins, "indicator-standins", env("TREEM_INDICATOR_STANDINS", "") == "1", "count the indicators' stand-in record tables (TREEM_INDICATOR_STANDINS=1)")
		fs.DurationVar(&c.Shutdown, "shutdown-timeout", envDuration(getenv, "TREEM_SHUTDOWN_TIMEOUT", 20*time.Second), "time in-flight requests get to finish on shutdown (TREEM_SHUTDOWN_TIMEOUT)")
	}
	return fs, c
}

func envDuration(getenv Getenv, key string, def time.Duration) time.Duration {
	if v := getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// Check validates the configuration and fills derived defaults; every
// problem is reported at once.
func (c *Config) Check(getenv Getenv) error {
	var problems []string
	engine, target, err := store.ParseDSN(c.DB)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if c.KeyFile == "" && err == nil {
		if engine == store.SQLite {
			c.KeyFile = strings.TrimSuffix(target, filepath.Ext(target)) + ".key"
		} else {
			problems = append(problems, "with PostgreSQL a key file is required: create one with `treem keys init --key-file FILE` once, give every instance the same file with --key-file or TREEM_KEY_FILE, and back it up apart from the database")
		}
	}
	switch strings.ToUpper(c.SQLiteSync) {
	case "FULL", "NORMAL", "OFF", "EXTRA":
		c.SQLiteSync = strings.ToUpper(c.SQLiteSync)
	default:
		problems = append(problems, fmt.Sprintf("--sqlite-sync %q: use FULL, NORMAL or OFF", c.SQLiteSync))
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			problems = append(problems, fmt.Sprintf("--addr %q: use HOST:PORT, for example 127.0.0.1:8111", c.Addr))
		}
	}
	switch c.Secure {
	case "", "auto", "always", "never":
	default:
		problems = append(problems, fmt.Sprintf("--secure-cookies %q: use auto, always or never", c.Secure))
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("--log-level %q: use debug, info, warn or error", c.LogLevel))
	}
	if c.SessionTTL < 0 || c.IdleTimeout < 0 {
		problems = append(problems, "session times must be positive")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// Roles splits a comma-separated list, "none" being empty.
func Roles(list string) []string {
	if strings.TrimSpace(list) == "none" {
		return nil
	}
	var out []string
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

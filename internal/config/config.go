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
	"strconv"
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
	JobWorkers  int           // TREEM_JOB_WORKERS: background jobs run at once per instance (0: DefaultJobWorkers)
	ReadConns   int           // TREEM_DB_READ_CONNS: SQLite reader connections (0: 2 per CPU, at least 4)
	// RetentionYears: inactive records older than this are anonymised by a
	// daily job (Nghị định 13/2023); 0 keeps them.
	RetentionYears int // TREEM_RETENTION_YEARS

	Hotline Hotline // Tổng đài 111: telephony and Zalo OA
	// AttachmentMax bounds a case attachment's size in bytes.
	AttachmentMax int64 // TREEM_ATTACHMENT_MAX_BYTES, default 10 MiB
	SMTP          SMTP  // e-mail of notifications
	Deadlines     Deadlines
}

// Deadlines tunes the reminders and escalations of case deadlines.
type Deadlines struct {
	Every       time.Duration // TREEM_DEADLINE_SCAN_EVERY: how often the scanner runs (5m)
	LeadDays    int           // TREEM_REMIND_DAYS: remind at the start of the last N working days (1)
	LeadHours   time.Duration // TREEM_REMIND_HOURS: remind this long before an hour deadline, the 12-hour emergency clock (2h)
	Level2Days  int           // TREEM_ESCALATE_DAYS: to the province N working days after the deadline (1)
	Level2Hours time.Duration // TREEM_ESCALATE_HOURS: to the province this long after an hour deadline (2h)
}

// SMTP configures the server notification e-mails go through; without a
// host there is no e-mail (notifications stay in the app).
type SMTP struct {
	Host     string // TREEM_SMTP_HOST
	Port     int    // TREEM_SMTP_PORT: 0 is 587 (465 with TLS "tls")
	User     string // TREEM_SMTP_USER: empty for no authentication
	Password string // TREEM_SMTP_PASSWORD (prefer the variable)
	From     string // TREEM_SMTP_FROM: "treem <no-reply@example.gov.vn>"
	TLS      string // TREEM_SMTP_TLS: starttls (default), tls or none
}

// Hotline configures the hotline's channels. Secrets come best from the
// environment (a flag shows in the process list).
type Hotline struct {
	TelephonySecret string        // TREEM_TELEPHONY_SECRET: HMAC key of the telephony webhook
	ZaloAppID       string        // TREEM_ZALO_APP_ID
	ZaloOASecret    string        // TREEM_ZALO_OA_SECRET: the OA secret key that signs webhooks
	ZaloAppSecret   string        // TREEM_ZALO_APP_SECRET: the app's secret key, for refreshing tokens
	ZaloAPIURL      string        // TREEM_ZALO_API_URL: the OA API (replies)
	ZaloOAuthURL    string        // TREEM_ZALO_OAUTH_URL: the token endpoint's base
	ZaloMaxAge      time.Duration // TREEM_ZALO_MAX_AGE: older (or further future) webhook timestamps are refused
	ZaloMediaHosts  string        // TREEM_ZALO_MEDIA_HOSTS: host suffixes attachments may be fetched from
	ZaloRefresh     string        // TREEM_ZALO_REFRESH_TOKEN: first refresh token, used when none is stored
}

// Getenv is os.Getenv; tests pass their own.
type Getenv func(string) string

// DefaultJobWorkers is how many background jobs an instance runs at once.
// Jobs mostly wait (for a commit, an SMTP server); on SQLite more workers
// also mean larger group commits: a burst of 60,000 Zalo messages was
// processed at 72 a second with 4 and 1,817 with 16 (docs/PERFORMANCE.md).
const DefaultJobWorkers = 16

// FlagSet returns a flag set with the options every sub-command shares
// (database and key file) and, when serve is true, the server's options.
//
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
		fs.StringVar(&c.RequireTOTP, "require-totp", env("TREEM_REQUIRE_TOTP", "admin,analyst,province_officer,supervisor,counsellor"), "roles that must use a second factor, or none (TREEM_REQUIRE_TOTP)")
		fs.StringVar(&c.Hotline.TelephonySecret, "telephony-secret", env("TREEM_TELEPHONY_SECRET", ""), "secret of the signed telephony webhook (TREEM_TELEPHONY_SECRET; prefer the variable)")
		fs.StringVar(&c.Hotline.ZaloAppID, "zalo-app-id", env("TREEM_ZALO_APP_ID", ""), "Zalo app id (TREEM_ZALO_APP_ID)")
		fs.StringVar(&c.Hotline.ZaloOASecret, "zalo-oa-secret", env("TREEM_ZALO_OA_SECRET", ""), "Zalo OA secret key that signs webhooks (TREEM_ZALO_OA_SECRET; prefer the variable)")
		fs.StringVar(&c.Hotline.ZaloAppSecret, "zalo-app-secret", env("TREEM_ZALO_APP_SECRET", ""), "Zalo app secret key, for refreshing access tokens (TREEM_ZALO_APP_SECRET; prefer the variable)")
		fs.StringVar(&c.Hotline.ZaloAPIURL, "zalo-api-url", env("TREEM_ZALO_API_URL", "https://openapi.zalo.me"), "Zalo OA API base URL (TREEM_ZALO_API_URL)")
		fs.StringVar(&c.Hotline.ZaloOAuthURL, "zalo-oauth-url", env("TREEM_ZALO_OAUTH_URL", "https://oauth.zaloapp.com"), "Zalo OAuth base URL (TREEM_ZALO_OAUTH_URL)")
		fs.DurationVar(&c.Hotline.ZaloMaxAge, "zalo-max-age", envDuration(getenv, "TREEM_ZALO_MAX_AGE", time.Hour), "refuse Zalo webhooks whose timestamp is further from now (TREEM_ZALO_MAX_AGE)")
		fs.StringVar(&c.Hotline.ZaloMediaHosts, "zalo-media-hosts", env("TREEM_ZALO_MEDIA_HOSTS", "zdn.vn,zadn.vn,zalo.me,zaloapp.com"), "host suffixes Zalo attachments may be downloaded from (TREEM_ZALO_MEDIA_HOSTS)")
		fs.StringVar(&c.Hotline.ZaloRefresh, "zalo-refresh-token", env("TREEM_ZALO_REFRESH_TOKEN", ""), "first Zalo refresh token, used only while none is stored (TREEM_ZALO_REFRESH_TOKEN)")
		fs.IntVar(&c.RetentionYears, "retention-years", envInt(getenv, "TREEM_RETENTION_YEARS", 0), "anonymise children (and other registered records) inactive for this many years, daily; 0 keeps them (TREEM_RETENTION_YEARS)")
		fs.Int64Var(&c.AttachmentMax, "attachment-max-bytes", envInt64(getenv, "TREEM_ATTACHMENT_MAX_BYTES", 10<<20), "largest case attachment accepted, in bytes (TREEM_ATTACHMENT_MAX_BYTES)")
		fs.IntVar(&c.ReadConns, "db-read-conns", envInt(getenv, "TREEM_DB_READ_CONNS", 0), "SQLite reader connections, 0 for two per CPU and at least 4; PostgreSQL's pool has at least 16 (TREEM_DB_READ_CONNS)")
		fs.IntVar(&c.JobWorkers, "job-workers", envInt(getenv, "TREEM_JOB_WORKERS", DefaultJobWorkers), "background jobs (e-mails, reminders, webhooks) run at once by this instance (TREEM_JOB_WORKERS)")
		fs.StringVar(&c.SMTP.Host, "smtp-host", env("TREEM_SMTP_HOST", ""), "SMTP server for notification e-mails; empty: no e-mail (TREEM_SMTP_HOST)")
		fs.IntVar(&c.SMTP.Port, "smtp-port", envInt(getenv, "TREEM_SMTP_PORT", 0), "SMTP port; 0: 587, or 465 with --smtp-tls tls (TREEM_SMTP_PORT)")
		fs.StringVar(&c.SMTP.User, "smtp-user", env("TREEM_SMTP_USER", ""), "SMTP user name; empty: no authentication (TREEM_SMTP_USER)")
		fs.StringVar(&c.SMTP.Password, "smtp-password", env("TREEM_SMTP_PASSWORD", ""), "SMTP password (TREEM_SMTP_PASSWORD; prefer the variable)")
		fs.StringVar(&c.SMTP.From, "smtp-from", env("TREEM_SMTP_FROM", ""), "sender of notification e-mails, e.g. \"treem <no-reply@example.gov.vn>\" (TREEM_SMTP_FROM)")
		fs.StringVar(&c.SMTP.TLS, "smtp-tls", env("TREEM_SMTP_TLS", "starttls"), "starttls, tls (port 465) or none (a local relay only) (TREEM_SMTP_TLS)")
		fs.DurationVar(&c.Deadlines.Every, "deadline-scan-every", envDuration(getenv, "TREEM_DEADLINE_SCAN_EVERY", 5*time.Minute), "how often case deadlines are scanned for reminders and escalations (TREEM_DEADLINE_SCAN_EVERY)")
		fs.IntVar(&c.Deadlines.LeadDays, "remind-days", envInt(getenv, "TREEM_REMIND_DAYS", 1), "remind the assignee at the start of a deadline's last N working days (TREEM_REMIND_DAYS)")
		fs.DurationVar(&c.Deadlines.LeadHours, "remind-hours", envDuration(getenv, "TREEM_REMIND_HOURS", 2*time.Hour), "remind this long before a deadline counted in hours, such as the 12-hour emergency clock (TREEM_REMIND_HOURS)")
		fs.IntVar(&c.Deadlines.Level2Days, "escalate-days", envInt(getenv, "TREEM_ESCALATE_DAYS", 1), "escalate an overdue deadline to the province N working days after it (TREEM_ESCALATE_DAYS)")
		fs.DurationVar(&c.Deadlines.Level2Hours, "escalate-hours", envDuration(getenv, "TREEM_ESCALATE_HOURS", 2*time.Hour), "escalate an overdue hour deadline to the province this long after it (TREEM_ESCALATE_HOURS)")
		fs.DurationVar(&c.Shutdown, "shutdown-timeout", envDuration(getenv, "TREEM_SHUTDOWN_TIMEOUT", 20*time.Second), "time in-flight requests get to finish on shutdown (TREEM_SHUTDOWN_TIMEOUT)")
	}
	return fs, c
}

func envInt(getenv Getenv, key string, def int) int {
	if v := getenv(key); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
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
	if c.RetentionYears < 0 || c.RetentionYears > 100 {
		problems = append(problems, fmt.Sprintf("--retention-years %d: use 0 (keep) or a number of years up to 100", c.RetentionYears))
	}
	if c.AttachmentMax < 0 || (c.AttachmentMax == 0 && c.Addr != "") {
		problems = append(problems, fmt.Sprintf("--attachment-max-bytes %d: give a size in bytes, for example 10485760 (10 MiB)", c.AttachmentMax))
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
	for name, u := range map[string]string{"--zalo-api-url": c.Hotline.ZaloAPIURL, "--zalo-oauth-url": c.Hotline.ZaloOAuthURL} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			problems = append(problems, fmt.Sprintf("%s %q: use an http(s):// URL", name, u))
		}
	}
	if c.Hotline.ZaloMaxAge < 0 {
		problems = append(problems, "--zalo-max-age must be positive")
	}
	if c.SMTP.Host != "" {
		if c.SMTP.From == "" || !strings.Contains(c.SMTP.From, "@") {
			problems = append(problems, fmt.Sprintf("--smtp-from %q: with --smtp-host, give the sender's address, e.g. \"treem <no-reply@example.gov.vn>\"", c.SMTP.From))
		}
		switch c.SMTP.TLS {
		case "", "starttls", "tls", "none":
		default:
			problems = append(problems, fmt.Sprintf("--smtp-tls %q: use starttls, tls or none", c.SMTP.TLS))
		}
		if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
			problems = append(problems, fmt.Sprintf("--smtp-port %d: not a port", c.SMTP.Port))
		}
	}
	if c.Deadlines.Every < 0 || c.Deadlines.LeadDays < 0 || c.Deadlines.LeadHours < 0 || c.Deadlines.Level2Days < 0 || c.Deadlines.Level2Hours < 0 {
		problems = append(problems, "deadline scanner settings must be positive")
	}
	if c.ReadConns < 0 || c.ReadConns > 1024 {
		problems = append(problems, fmt.Sprintf("--db-read-conns %d: use 1 to 1024 (0 for the default)", c.ReadConns))
	}
	if c.JobWorkers < 0 || c.JobWorkers > 256 {
		problems = append(problems, fmt.Sprintf("--job-workers %d: use 1 to 256 (0 for the default, 16)", c.JobWorkers))
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

// envInt64 reads a whole number from the environment, def when unset or
// not a number (Check refuses a value below 1).
func envInt64(getenv Getenv, key string, def int64) int64 {
	if v := getenv(key); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
		return -1
	}
	return def
}

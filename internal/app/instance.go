package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"treem/internal/attachments"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/config"
	"treem/internal/demo"
	"treem/internal/geo"
	"treem/internal/hotline"
	"treem/internal/indicators"
	"treem/internal/indicators/facts"
	"treem/internal/notify"
	"treem/internal/privacy"
	"treem/internal/referrals"
	"treem/internal/store"
	"treem/internal/web"
)

// Instance is a wired treem: store, services and the HTTP handler. serve
// runs one; tests build one the same way.
type Instance struct {
	*Services
	Children  *children.Service
	Hotline   *hotline.Service
	Privacy   *privacy.Service
	Cases     *cases.Service
	Notify    *notify.Service
	Deadlines *notify.Deadlines
	Web       *web.Server
	stop      context.CancelFunc
}

// indexSyncEvery is how often an instance reads the registry changes other
// instances committed into its name index.
const indexSyncEvery = time.Second

// Build opens the database (migrating it), loads keys and reference data,
// loads the registry's name index, seeds the demo data when asked and builds
// the HTTP handler.
func Build(ctx context.Context, cfg *config.Config, env Env, log *slog.Logger) (*Instance, error) {
	if env.Now == nil {
		env.Now = time.Now
	}
	d, err := open(ctx, cfg, env, log, cfg.Demo)
	if err != nil {
		return nil, err
	}
	geo.Default() // load the units now, not on the first request
	kids, err := d.children(ctx)
	if err != nil {
		d.close()
		return nil, err
	}
	if err := kids.FailStaleImports(ctx, 10*time.Minute); err != nil {
		d.close()
		return nil, err
	}
	start := time.Now()
	n, err := kids.LoadIndex(ctx)
	if err != nil {
		d.close()
		return nil, err
	}
	if log != nil {
		log.Info("children index loaded", "children", n, "ms", time.Since(start).Milliseconds())
	}
	if cfg.Demo {
		sctx := cliContext(ctx, env.Getenv)
		if _, err := demo.Seed(sctx, d.Auth); err != nil {
			d.close()
			return nil, fmt.Errorf("seed demo data: %w", err)
		}
		if err := demo.SeedChildren(sctx, d.DB, kids); err != nil {
			d.close()
			return nil, fmt.Errorf("seed demo children: %w", err)
		}
	}
	ind, err := openIndicators(ctx, d)
	if err != nil {
		d.close()
		return nil, err
	}
	d.Indicators = ind
	hl := hotline.New(hotline.Deps{DB: d.DB, Keys: d.Keys, Audit: d.Audit, Jobs: d.Jobs, Log: log, Now: env.Now,
		Config: hotlineConfig(cfg)})
	if cfg.Demo {
		var ids []int64
		for _, a := range demo.Accounts {
			if a.Role == auth.Counsellor || a.Role == auth.Supervisor {
				if u, err := d.Auth.UserByName(ctx, a.Username); err == nil {
					ids = append(ids, u.ID)
				}
			}
		}
		if err := hl.SeedDemo(cliContext(ctx, env.Getenv), ids); err != nil {
			d.close()
			return nil, fmt.Errorf("seed hotline demo data: %w", err)
		}
	}
	cs := cases.New(cases.Deps{DB: d.DB, Keys: d.Keys, Audit: d.Audit, Auth: d.Auth, Children: kids, Hotline: hl,
		Log: log, Now: env.Now})
	nt := notify.New(notify.Deps{DB: d.DB, Audit: d.Audit, Jobs: d.Jobs, I18n: d.I18n, Log: log, Now: env.Now,
		Mail: mailConfig(cfg), BaseURL: cfg.BaseURL})
	dl := notify.NewDeadlines(nt, d.Auth, d.Audit, cs.Rules, notify.DeadlineConfig{Every: cfg.Deadlines.Every,
		LeadDays: cfg.Deadlines.LeadDays, LeadHours: cfg.Deadlines.LeadHours, Level2Days: cfg.Deadlines.Level2Days,
		Level2Hours: cfg.Deadlines.Level2Hours})
	if err := dl.Schedule(ctx); err != nil {
		d.close()
		return nil, fmt.Errorf("schedule the deadline scanner: %w", err)
	}
	refs, atts := caseServices(cfg, d, kids, cs)
	if cfg.Demo {
		if err := demo.SeedCases(cliContext(ctx, env.Getenv), d.DB, d.Auth, cs); err != nil {
			d.close()
			return nil, fmt.Errorf("seed demo cases: %w", err)
		}
		var staff int64
		if u, err := d.Auth.UserByName(ctx, "dichvu"); err == nil {
			staff = u.ID
		}
		if err := refs.SeedDemo(cliContext(ctx, env.Getenv), staff); err != nil {
			d.close()
			return nil, fmt.Errorf("seed demo providers: %w", err)
		}
	}
	pd := privacy.New(privacy.Deps{DB: d.DB, Keys: d.Keys, Audit: d.Audit, Jobs: d.Jobs, Children: kids, Hotline: hl,
		Log: log, Now: env.Now, RetentionYears: cfg.RetentionYears})
	// Closed cases are erased by the same rule as registry children: their
	// content and that of their referrals and attachments, in one
	// transaction.
	pd.Register(privacy.Target{Name: "case", Due: cs.RetentionDue, Erase: func(ctx context.Context, tx *store.Tx, id int64, at time.Time) error {
		if err := cases.EraseTx(ctx, tx, id, at); err != nil {
			return err
		}
		if err := referrals.EraseCaseTx(ctx, tx, id); err != nil {
			return err
		}
		return attachments.EraseCaseTx(ctx, tx, id)
	}})
	if err := pd.Schedule(ctx); err != nil {
		d.close()
		return nil, fmt.Errorf("schedule the retention job: %w", err)
	}
	srv, err := web.New(web.Deps{Log: log, DB: d.DB, Keys: d.Keys, Audit: d.Audit, Auth: d.Auth, I18n: d.I18n,
		Children: kids, Hotline: hl, Cases: cs, Privacy: pd, Referrals: refs, Attachments: atts, Indicators: ind, Notify: nt, Now: env.Now,
		TrustProxy: cfg.TrustProxy, SecureCookies: cfg.Secure, Demo: cfg.Demo})
	if err != nil {
		d.close()
		return nil, err
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	go kids.Run(bg, indexSyncEvery)
	return &Instance{Services: d, Children: kids, Hotline: hl, Cases: cs, Privacy: pd, Notify: nt, Deadlines: dl, Web: srv, stop: stop}, nil
}

func mailConfig(cfg *config.Config) notify.Mail {
	m := cfg.SMTP
	return notify.Mail{Host: m.Host, Port: m.Port, User: m.User, Password: m.Password, From: m.From, TLS: m.TLS}
}

func hotlineConfig(cfg *config.Config) hotline.Config {
	h := cfg.Hotline
	var hosts []string
	for _, x := range strings.Split(h.ZaloMediaHosts, ",") {
		if x = strings.TrimSpace(x); x != "" {
			hosts = append(hosts, x)
		}
	}
	return hotline.Config{TelephonySecret: h.TelephonySecret, Zalo: hotline.ZaloConfig{AppID: h.ZaloAppID,
		OASecret: h.ZaloOASecret, AppSecret: h.ZaloAppSecret, APIURL: h.ZaloAPIURL, OAuthURL: h.ZaloOAuthURL,
		MaxAge: h.ZaloMaxAge, MediaHosts: hosts, InitialRefresh: h.ZaloRefresh}}
}

// children builds the registry service.
func (d *Services) children(ctx context.Context) (*children.Service, error) {
	return children.New(ctx, children.Deps{DB: d.DB, Keys: d.Keys, Audit: d.Audit, Log: d.Log, Now: d.Now,
		Contacts: func(ctx context.Context, unit string) ([]children.Contact, error) {
			cs, err := d.Auth.UnitContacts(ctx, unit)
			out := make([]children.Contact, len(cs))
			for i, c := range cs {
				out[i] = children.Contact(c)
			}
			return out, err
		}})
}

// Close stops the background work, lets running imports finish and
// releases the database.
func (i *Instance) Close() {
	i.stop()
	i.Children.Wait()
	i.close()
}

// openIndicators builds the indicator engine with every area's fact
// source: the communes' returns, the registry's, the hotline's and the
// cases' (children, hotline, cases.FactSources).
func openIndicators(ctx context.Context, d *Services) (*indicators.Service, error) {
	sources := []facts.Source{indicators.ReturnsSource{}, children.FactSource{}, hotline.FactSource{}}
	sources = append(sources, cases.FactSources()...)
	e, err := indicators.New(ctx, d.DB, geo.Default(), sources, indicators.Config{}, d.Now, d.Log)
	if err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	return indicators.NewService(e, d.Audit), nil
}

// caseServices builds the areas that hang off a case: referrals to
// providers and attachments. They reach the case through the cases
// package's Authorize and AppendEvent.
func caseServices(cfg *config.Config, d *Services, kids *children.Service, cs *cases.Service) (*referrals.Service, *attachments.Service) {
	authorize := func(ctx context.Context, p *auth.Principal, id int64, perm auth.Perm) (referrals.Case, error) {
		c, err := cs.Authorize(ctx, p, id, perm)
		if err != nil {
			return referrals.Case{}, err
		}
		return referrals.Case{ID: c.ID, Number: c.Number, Commune: c.Commune, Province: c.Province, Children: c.Children,
			Masked: c.Masked}, nil
	}
	appendEvent := func(ctx context.Context, tx *store.Tx, caseID int64, e referrals.Event) error {
		return cases.AppendEvent(ctx, tx, caseID, cases.Event(e))
	}
	refs := referrals.New(referrals.Deps{DB: d.DB, Keys: d.Keys, Audit: d.Audit, Children: kids, Log: d.Log, Now: d.Now,
		Case: authorize, AppendEvent: appendEvent})
	atts := attachments.New(attachments.Deps{DB: d.DB, Keys: d.Keys, Audit: d.Audit, Now: d.Now, Max: cfg.AttachmentMax,
		Authorize: func(ctx context.Context, p *auth.Principal, id int64, perm auth.Perm) error {
			_, err := cs.Authorize(ctx, p, id, perm)
			return err
		},
		AppendEvent: func(ctx context.Context, tx *store.Tx, caseID int64, e attachments.Event) error {
			return cases.AppendEvent(ctx, tx, caseID, cases.Event(e))
		}})
	return refs, atts
}

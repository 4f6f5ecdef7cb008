package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/notify"
	"treem/internal/store"
	"treem/internal/store/storetest"
	"treem/internal/testenv"
)

func enginesUnderTest() []store.Engine { return storetest.Engines() }

func readBody(m *mail.Message) (string, error) {
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	return string(b), err
}

var emails atomic.Int64

// person makes an account with an e-mail address and a client for it.
func person(t *testing.T, h *testenv.Env, role auth.Role, unit, lang string) (auth.Recipient, *testenv.Client) {
	t.Helper()
	c := h.User(t, role, unit)
	ctx := audit.WithActor(context.Background(), audit.System)
	email := fmt.Sprintf("user%d@example.vn", emails.Add(1))
	accounts := h.App.Auth
	if _, err := accounts.UpdateUser(ctx, &auth.Principal{Role: auth.Admin}, c.UserID, auth.UserUpdate{Email: &email}); err != nil {
		t.Fatalf("set e-mail: %v", err)
	}
	if err := accounts.SetLang(ctx, &auth.Principal{UserID: c.UserID}, lang); err != nil {
		t.Fatal(err)
	}
	rs, err := accounts.Recipients(ctx, []int64{c.UserID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("recipient: %v %v", rs, err)
	}
	return rs[0], c
}

// tell writes a notification as an event would, in a transaction.
func tell(t *testing.T, h *testenv.Env, key string, to ...auth.Recipient) {
	t.Helper()
	ctx := context.Background()
	err := h.App.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := h.App.Notify.Notify(ctx, tx, notify.Message{To: to, Kind: "deadline.reminder", Key: key,
			Args: map[string]string{"number": "00004-2026-" + key, "what": "plan", "due": "30/11/2026 17:00"}, Link: "/cases/1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNotificationsAreOneselfsAndMarkedRead(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		lan, lanC := person(t, h, auth.CommuneOfficer, "00004", "vi")
		_, binhC := person(t, h, auth.CommuneOfficer, "00004", "en")
		tell(t, h, "000001", lan)
		tell(t, h, "000002", lan)
		tell(t, h, "000001", lan) // the same event again: no second notification

		res := lanC.Get(t, "/api/v1/notifications")
		var list struct {
			Data  []map[string]any
			Total int
		}
		res.JSON(t, &list)
		if res.Code != 200 || list.Total != 2 || len(list.Data) != 2 {
			t.Fatalf("Lan's notifications: %s; want the two events once each", res)
		}
		first := list.Data[0]
		if !strings.Contains(fmt.Sprint(first["title"]), "00004-2026-000002") || !strings.Contains(fmt.Sprint(first["title"]), "kế hoạch") {
			t.Fatalf("newest first, in Vietnamese with the case number: %v", first)
		}
		id := fmt.Sprint(first["id"])
		if res := binhC.Get(t, "/api/v1/notifications"); !strings.Contains(res.String(), `"total":0`) {
			t.Fatalf("Bình sees someone else's notifications: %s", res)
		}
		if res := binhC.Post(t, "/api/v1/notifications/"+id+"/read", `{}`); res.Code != http.StatusNotFound {
			t.Fatalf("Bình marked Lan's notification read: %s", res)
		}
		res = lanC.Post(t, "/api/v1/notifications/"+id+"/read", `{}`)
		if res.Code != 200 || res.Data(t)["read_at"] == nil {
			t.Fatalf("mark read: %s", res)
		}
		h.AssertAudited(t, lanC, "notification.read", id)
		res = lanC.Get(t, "/api/v1/notifications?unread=true")
		res.JSON(t, &list)
		if list.Total != 1 {
			t.Fatalf("unread after marking one: %s", res)
		}

		// The page: the header counts the unread one; "mark all" clears it.
		b := h.Browser(t)
		b.Login(t, lanC.Username, testenv.Password)
		page := b.Get(t, "/notifications")
		if page.Code != 200 || !strings.Contains(string(page.Body), `class="badge">1<`) || !strings.Contains(string(page.Body), "00004-2026-000001") {
			t.Fatalf("notifications page: %d, want the unread badge at 1 and the notification", page.Code)
		}
		if res := b.PostForm(t, "/notifications/read-all", url.Values{}); res.Code != http.StatusSeeOther {
			t.Fatalf("read all: %s", res)
		}
		if page := b.Get(t, "/"); strings.Contains(string(page.Body), `class="badge"`) {
			t.Fatal("the badge still shows after marking all read")
		}
	})
}

// smtpEnv starts treem with e-mail through srv.
func smtpEnv(t *testing.T, engine store.Engine, srv *smtpServer, dsn, keyFile string) *testenv.Env {
	host, port := srv.addr()
	return testenv.NewWith(t, testenv.Options{Engine: engine, DSN: dsn, KeyFile: keyFile, Config: func(c *config.Config) {
		c.SMTP = config.SMTP{Host: host, Port: port, From: "treem <no-reply@treem.example.vn>", TLS: "none"}
		c.BaseURL = "https://treem.example.vn"
	}})
}

// An e-mail is sent once however the instances come and go: a server that
// refuses it at first, a restart, a worker that dies holding the job.
func TestMailIsSentOnceAcrossRestarts(t *testing.T) {
	for _, engine := range enginesUnderTest() {
		t.Run(string(engine), func(t *testing.T) {
			srv := newSMTPServer(t)
			h1 := smtpEnv(t, engine, srv, "", "")
			lan, _ := person(t, h1, auth.CommuneOfficer, "00004", "vi")
			ann, _ := person(t, h1, auth.CommuneOfficer, "00004", "en")
			ctx := context.Background()

			// 1. The SMTP server refuses: nothing is marked sent, the job waits.
			srv.setRefuse(true)
			tell(t, h1, "000007", lan)
			if _, err := h1.App.Jobs.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.received()); n != 0 {
				t.Fatalf("%d messages accepted while the server refused", n)
			}

			// 2. Restart: a new instance on the same database, server well again.
			srv.setRefuse(false)
			h2 := smtpEnv(t, engine, srv, h1.DSN, h1.KeyFile)
			h2.Clock.Advance(time.Minute) // past the first back-off
			if _, err := h2.App.Jobs.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			got := srv.received()
			if len(got) != 1 || got[0].To != lan.Email {
				t.Fatalf("after the restart: %d messages, want 1 to Lan", len(got))
			}
			m := got[0]
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Msg.Header.Get("Subject"))
			if !strings.Contains(subject, "00004-2026-000007") || !strings.Contains(m.Body, "https://treem.example.vn/cases/1") ||
				!strings.Contains(m.Body, "Hạn xây dựng kế hoạch hỗ trợ, can thiệp") || m.Msg.Header.Get("Message-ID") == "" {
				t.Fatalf("message: subject %q, body %q", subject, m.Body)
			}

			// 3. A worker dies holding a job: it is inside DATA when the
			// instance is abandoned; the next instance takes over after the
			// lease; the dead one's late answer changes nothing.
			srv.mu.Lock()
			srv.hold, srv.held = make(chan struct{}), make(chan struct{}, 1)
			srv.mu.Unlock()
			tell(t, h2, "000008", ann)
			dead := make(chan error, 1)
			go func() { _, err := h2.App.Jobs.RunDue(ctx); dead <- err }()
			select {
			case <-srv.held:
			case <-time.After(10 * time.Second):
				t.Fatal("the mail job did not reach the server")
			}
			srv.mu.Lock()
			hold := srv.hold
			srv.hold = nil
			srv.mu.Unlock()
			release := sync.OnceFunc(func() { close(hold) })
			t.Cleanup(release) // never leave the dead instance hanging
			h3 := smtpEnv(t, engine, srv, h1.DSN, h1.KeyFile)
			h3.Clock.Set(h2.Clock.Now())
			if n, _ := h3.App.Jobs.RunDue(ctx); n != 0 {
				t.Fatalf("a job held under lease ran elsewhere (%d)", n)
			}
			h3.Clock.Advance(h3.App.Jobs.Lease + time.Second)
			if _, err := h3.App.Jobs.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			if got := srv.received(); len(got) != 2 {
				t.Fatalf("the abandoned mail job was not taken over: %d messages", len(got))
			}
			srv.setRefuse(true) // the dead instance's message never lands
			release()
			<-dead
			h3.Clock.Advance(24 * time.Hour)
			h3.App.Jobs.RunDue(ctx)
			h2.Clock.Advance(24 * time.Hour)
			h2.App.Jobs.RunDue(ctx)
			got = srv.received()
			if len(got) != 2 || got[1].To != ann.Email {
				t.Fatalf("%d messages in all, want 2 (one each, none repeated)", len(got))
			}
			subject, _ = new(mime.WordDecoder).DecodeHeader(got[1].Msg.Header.Get("Subject"))
			if !strings.Contains(subject, "Due soon: support and intervention plan") {
				t.Fatalf("Ann's message is not in English: %q", subject)
			}
		})
	}
}

// With --smtp-tls starttls (the default) the message goes over TLS, the
// server's certificate checked.
func TestMailGoesOverSTARTTLS(t *testing.T) {
	srv := newSMTPServer(t)
	cert, pool := selfSigned(t)
	srv.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
	h := testenv.New(t)
	host, port := srv.addr()
	// A service of its own, trusting the test's certificate authority; it
	// takes over the mail job's handler.
	n := notify.New(notify.Deps{DB: h.App.DB, Audit: h.App.Audit, Jobs: h.App.Jobs, I18n: h.App.I18n, Now: h.Clock.Now,
		Mail: notify.Mail{Host: host, Port: port, From: "treem <no-reply@treem.example.vn>", TLS: "starttls",
			TLSConfig: &tls.Config{RootCAs: pool, ServerName: host}}})
	lan, _ := person(t, h, auth.CommuneOfficer, "00004", "vi")
	ctx := context.Background()
	err := h.App.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := n.Notify(ctx, tx, notify.Message{To: []auth.Recipient{lan}, Kind: "deadline.reminder", Key: "tls",
			Args: map[string]string{"number": "00004-2026-000009", "what": "plan", "due": "30/11/2026 17:00"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	runDue(t, h)
	srv.mu.Lock()
	used := srv.tlsUsed
	srv.mu.Unlock()
	if got := srv.received(); len(got) != 1 || used != 1 {
		t.Fatalf("%d messages, %d TLS sessions; want one message over TLS", len(got), used)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

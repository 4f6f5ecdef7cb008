package notify_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// smtpServer is a tiny SMTP server on loopback that keeps what it
// receives: enough of RFC 5321 for net/smtp without TLS or AUTH.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []received
	// refuse makes every message fail with 451 after its data (a server
	// having trouble): nothing is accepted.
	refuse bool
	// hold, when set, is closed by the test to let a held DATA answer go;
	// held receives a value when a message waits for it.
	hold chan struct{}
	held chan struct{}
	wg   sync.WaitGroup
	// tls, when set, is offered with STARTTLS; tlsUsed counts upgrades.
	tls     *tls.Config
	tlsUsed int
}

type received struct {
	From, To string
	Msg      *mail.Message
	Body     string
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *smtpServer) addr() (string, int) {
	a := s.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (s *smtpServer) close() {
	s.ln.Close()
	s.wg.Wait()
}

func (s *smtpServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.session(c)
		}()
	}
}

func (s *smtpServer) session(c net.Conn) {
	r := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	secure := false
	say("220 test ESMTP")
	var from, to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-test")
			if s.tls != nil && !secure {
				say("250-STARTTLS")
			}
			say("250 8BITMIME")
		case cmd == "STARTTLS" && s.tls != nil && !secure:
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, secure = tc, bufio.NewReader(tc), true
			s.mu.Lock()
			s.tlsUsed++
			s.mu.Unlock()
		case strings.HasPrefix(cmd, "HELO"):
			say("250 test")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			from = strings.Trim(strings.TrimSpace(line)[10:], "<>")
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to = strings.Trim(strings.TrimSpace(line)[8:], "<>")
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			hold, held := s.hold, s.held
			s.mu.Unlock()
			if hold != nil {
				held <- struct{}{}
				<-hold
			}
			s.mu.Lock()
			refuse := s.refuse
			s.mu.Unlock()
			if refuse {
				say("451 try again later")
				continue
			}
			m, err := mail.ReadMessage(strings.NewReader(data.String()))
			if err != nil {
				say("554 bad message")
				continue
			}
			body, _ := readBody(m)
			s.mu.Lock()
			s.msgs = append(s.msgs, received{From: from, To: to, Msg: m, Body: body})
			s.mu.Unlock()
			say("250 queued")
		case cmd == "RSET", cmd == "NOOP":
			say("250 ok")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (s *smtpServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpServer) setRefuse(v bool) {
	s.mu.Lock()
	s.refuse = v
	s.mu.Unlock()
}

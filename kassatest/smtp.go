package kassatest

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Received is one message an SMTP server accepted: its envelope and its
// text as sent.
type Received struct {
	From string
	To   []string
	Data []byte
}

// SMTP is a real SMTP server on loopback (no TLS, no authentication)
// that keeps what it receives, for tests of what Kassa e-mails.
type SMTP struct {
	mu     sync.Mutex
	msgs   []Received
	reject int
	port   int
}

// StartSMTP starts an SMTP server on 127.0.0.1 until the test ends.
func StartSMTP(t testing.TB) *SMTP {
	t.Helper()
	s := &SMTP{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Port is the port the server listens on, at 127.0.0.1.
func (s *SMTP) Port() int { return s.port }

// Messages lists the messages received so far, oldest first.
func (s *SMTP) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Reject makes the server refuse the next n messages with a 451.
func (s *SMTP) Reject(n int) {
	s.mu.Lock()
	s.reject = n
	s.mu.Unlock()
}

func (s *SMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }

type smtpSession struct {
	srv  *SMTP
	from string
	to   []string
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.reject > 0 {
		s.srv.reject--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.srv.msgs = append(s.srv.msgs, Received{s.from, s.to, b})
	return nil
}

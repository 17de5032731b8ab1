package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files in a new directory, and returns their paths and a client
// that trusts the certificate and no other.
func selfSigned(t *testing.T) (certFile, keyFile string, client *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kassa test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestServeTLS: with --tls-cert and --tls-key (or KASSA_TLS_CERT and
// KASSA_TLS_KEY) Kassa serves HTTPS on its address, at TLS 1.2 or later:
// a real request over 127.0.0.1 verifies the certificate, a client that
// offers at most TLS 1.1 fails its handshake, and plain HTTP is refused.
// In live mode the public URL defaults to the https address.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, client := selfSigned(t)
	tlsEnv := env(map[string]string{"KASSA_TLS_CERT": certFile, "KASSA_TLS_KEY": keyFile})
	for _, c := range []struct {
		name   string
		getenv func(string) string
		flags  []string
	}{
		{"flags, sandbox", noenv, []string{"--tls-cert", certFile, "--tls-key", keyFile}},
		{"environment, live mode", tlsEnv, []string{"--mode", "live", "--key-file", newKeyFile(t)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			base, out, stop := startServeOver(t, client, t.TempDir(), c.getenv, &syncBuffer{}, c.flags...)
			defer stop()
			if !strings.HasPrefix(base, "https://127.0.0.1:") || strings.Contains(out.String(), "reverse proxy") {
				t.Errorf("the start-up line with TLS:\n%s", out)
			}
			resp, err := client.Get(base + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
				t.Errorf("GET /healthz over TLS = %d, TLS %+v", resp.StatusCode, resp.TLS)
			}

			old := client.Transport.(*http.Transport).Clone()
			old.TLSClientConfig.MinVersion, old.TLSClientConfig.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			if resp, err := (&http.Client{Transport: old}).Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				t.Errorf("a TLS 1.1 client was answered %d, want its handshake refused", resp.StatusCode)
			}

			resp, err = http.Get("http://" + strings.TrimPrefix(base, "https://") + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP to the TLS port = %d, want 400", resp.StatusCode)
			}
		})
	}
}

// TestServeLiveBehindProxy: live mode without TLS of its own starts with
// an https public URL, and its start-up line says that a reverse proxy
// is expected to terminate TLS, naming the public URL.
func TestServeLiveBehindProxy(t *testing.T) {
	_, out, stop := startServeWith(t, t.TempDir(), noenv, "--mode", "live", "--key-file", newKeyFile(t), "--public-url", "https://pay.example.com")
	stop()
	want := "(live mode, SQLite in "
	line, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(line, "Kassa listening on http://127.0.0.1:") || !strings.Contains(line, want) ||
		!strings.HasSuffix(line, "plain HTTP: TLS is expected to be terminated by a reverse proxy in front, serving https://pay.example.com)") {
		t.Errorf("live start-up line without TLS:\n%s", line)
	}
	_, out, stop = startServe(t, t.TempDir())
	stop()
	if strings.Contains(out.String(), "reverse proxy") {
		t.Errorf("the sandbox's start-up line mentions a proxy:\n%s", out)
	}
}

// TestTLSAndPublicURLErrors: a certificate without its key or a key
// without its certificate, from flags or the environment, files that are
// missing or do not match, and a live mode public URL that is not https,
// or missing without TLS, each stop Kassa before it creates anything.
func TestTLSAndPublicURLErrors(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	_, otherKey, _ := selfSigned(t)
	live := []string{"--mode", "live", "--key-file", newKeyFile(t)}
	for _, c := range []struct {
		flags []string
		env   map[string]string
		want  string
	}{
		{[]string{"--tls-cert", certFile}, nil, "--tls-cert (KASSA_TLS_CERT) and --tls-key (KASSA_TLS_KEY) go together"},
		{nil, map[string]string{"KASSA_TLS_KEY": keyFile}, "--tls-cert (KASSA_TLS_CERT) and --tls-key (KASSA_TLS_KEY) go together"},
		{[]string{"--tls-cert", certFile + ".missing", "--tls-key", keyFile}, nil, "the TLS certificate " + certFile + ".missing and key"},
		{[]string{"--tls-cert", certFile, "--tls-key", otherKey}, nil, "private key does not match public key"},
		{[]string{"--tls-cert", keyFile, "--tls-key", keyFile}, nil, "the TLS certificate " + keyFile},
		{live, nil, "live mode needs --public-url (KASSA_PUBLIC_URL)"},
		{slices.Concat(live, []string{"--public-url", "http://pay.example.com"}), nil, `public URL "http://pay.example.com" is not an https URL`},
		{live, map[string]string{"KASSA_PUBLIC_URL": "pay.example.com"}, `public URL "pay.example.com" is not an https URL`},
		{slices.Concat(live, []string{"--tls-cert", certFile, "--tls-key", keyFile, "--public-url", "http://127.0.0.1:8443"}), nil, "is not an https URL"},
	} {
		dir := filepath.Join(t.TempDir(), "kassa-data")
		args := append([]string{"kassa", "--addr", "127.0.0.1:0", "--data-dir", dir}, c.flags...)
		var out syncBuffer
		err := run(context.Background(), args, env(c.env), nil, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %q with %v = %v, want an error containing %q", c.flags, c.env, err, c.want)
		}
		if strings.Contains(out.String(), "Kassa listening") {
			t.Errorf("serve %q started:\n%s", c.flags, out.String())
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("serve %q created its data directory (stat: %v)", c.flags, err)
		}
	}
	for _, flags := range [][]string{
		slices.Concat(live, []string{"--public-url", "https://pay.example.com"}),
		slices.Concat(live, []string{"--tls-cert", certFile, "--tls-key", keyFile}),
		{"--public-url", "http://127.0.0.1:8080"}, // the sandbox takes any
	} {
		if _, err := parseServe(flags, noenv, t.Output()); err != nil {
			t.Errorf("parseServe(%q) = %v, want it accepted", flags, err)
		}
	}
}

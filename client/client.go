// Package client is a Go client for Ledyer-compatible APIs, Kassa's own
// included: it gets and renews OAuth tokens, sends JSON with an
// Idempotency-Key, and turns error responses back into *Error values.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Client calls one API base URL with one API client's credentials.
type Client struct {
	BaseURL          string
	ClientID, Secret string
	HTTP             *http.Client
	mu               sync.Mutex
	token            string
	tokenExpires     time.Time
}

// New returns a client for baseURL (e.g. http://127.0.0.1:8080).
func New(baseURL, clientID, secret string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), ClientID: clientID, Secret: secret, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Error is an API error response.
type Error struct {
	Status int
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param,omitempty"`
	} `json:"errors"`
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	for _, x := range e.Errors {
		fmt.Fprintf(&b, ": %s: %s", x.Code, x.Message)
	}
	return b.String()
}

// Code is the first error's code.
func (e *Error) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// Token returns a valid access token, fetching a new one a minute before
// the current one expires.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.tokenExpires) {
		return c.token, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(c.ClientID, c.Secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if _, err := c.send(req, &out); err != nil {
		return "", err
	}
	c.token = out.AccessToken
	c.tokenExpires = time.Now().Add(time.Duration(out.ExpiresIn)*time.Second - time.Minute)
	return c.token, nil
}

// Do sends a JSON request with a bearer token and decodes a 2xx response
// into out (when non-nil). idempotencyKey may be "". It returns the status.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, idempotencyKey string) (int, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return 0, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	return c.send(req, out)
}

func (c *Client) send(req *http.Request, out any) (int, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Status: resp.StatusCode}
		json.Unmarshal(b, e) // a body that is not JSON still yields the status
		return resp.StatusCode, e
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %s %s response: %w", req.Method, req.URL.Path, err)
		}
	}
	return resp.StatusCode, nil
}

// Transient says whether err is worth retrying with the same
// Idempotency-Key: no answer at all, a server error, rate limiting, or the
// key's first request still running.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if !errors.As(err, &e) {
		return true // transport error: the outcome is unknown
	}
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Code() == "idempotency_key_in_use"
}

// DoRetry is Do, retried on transient failures with the same
// Idempotency-Key, so the server applies the request at most once. It
// tries attempts times in all, waiting backoff, then twice that, between
// tries.
func (c *Client) DoRetry(ctx context.Context, method, path string, body, out any, idempotencyKey string, attempts int, backoff time.Duration) (int, error) {
	for i := 1; ; i++ {
		status, err := c.Do(ctx, method, path, body, out, idempotencyKey)
		if i >= attempts || !Transient(err) {
			return status, err
		}
		select {
		case <-ctx.Done():
			return status, err
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

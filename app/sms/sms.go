// Package sms hands text messages to SMS gateways over HTTP: Kannel's
// sendsms interface and Twilio-compatible REST APIs. It implements
// app.SMSSender.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"rollcall/app"
)

// Timeout bounds one request to a gateway.
const Timeout = 20 * time.Second

// Sender is the HTTP client of the gateways.
type Sender struct {
	// Client is the HTTP client; nil means one with Timeout.
	Client *http.Client
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: Timeout}
}

// SendSMS implements app.SMSSender.
func (s *Sender) SendSMS(ctx context.Context, gw *app.SMSGateway, m *app.SMS) error {
	var req *http.Request
	var err error
	switch gw.Provider {
	case app.SMSKannel:
		req, err = kannelRequest(ctx, gw, m)
	case app.SMSTwilio:
		req, err = twilioRequest(ctx, gw, m)
	default:
		return &app.SMSError{Permanent: true, Status: 0, Reply: fmt.Sprintf("unknown gateway %q", gw.Provider)}
	}
	if err != nil {
		return &app.SMSError{Permanent: true, Reply: err.Error(), Err: err}
	}
	resp, err := s.client().Do(req)
	if err != nil {
		reply := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			reply = ue.Err.Error() // without the address, which may hold Kannel's password
		}
		return &app.SMSError{Reply: reply, Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &app.SMSError{Status: resp.StatusCode, Permanent: permanent(resp.StatusCode), Reply: reply(gw.Provider, resp.StatusCode, body)}
}

// permanent reports whether a refusal with the status is about the message
// itself (not retried): a bad request, a refused number. Sign-in refusals,
// rate limits, timeouts and the gateway's own troubles are retried.
func permanent(status int) bool {
	switch {
	case status == 401 || status == 403 || status == 408 || status == 429:
		return false
	case status >= 400 && status < 500:
		return true
	}
	return false
}

// reply is what the gateway said, as short text.
func reply(provider string, status int, body []byte) string {
	text := strings.TrimSpace(string(body))
	if provider == app.SMSTwilio {
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			text = fmt.Sprintf("%s (code %d)", e.Message, e.Code)
		}
	}
	if !utf8.ValidString(text) {
		text = ""
	}
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	if text == "" {
		text = http.StatusText(status)
	}
	return fmt.Sprintf("%d %s", status, text)
}

// kannelRequest is a GET of Kannel's sendsms interface. Text that is not
// plain ASCII goes as UCS-2 (coding=2), which every phone shows.
func kannelRequest(ctx context.Context, gw *app.SMSGateway, m *app.SMS) (*http.Request, error) {
	q := url.Values{}
	q.Set("username", gw.Username)
	q.Set("password", gw.Secret)
	q.Set("to", m.To)
	if gw.From != "" {
		q.Set("from", gw.From)
	}
	q.Set("text", m.Body)
	q.Set("charset", "UTF-8")
	if !ascii(m.Body) {
		q.Set("coding", "2")
	}
	return http.NewRequestWithContext(ctx, http.MethodGet, gw.URL+"?"+q.Encode(), nil)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// twilioRequest is POST {base}/2010-04-01/Accounts/{SID}/Messages.json with
// the form To, From, Body and basic auth (SID, token).
func twilioRequest(ctx context.Context, gw *app.SMSGateway, m *app.SMS) (*http.Request, error) {
	form := url.Values{}
	form.Set("To", m.To)
	form.Set("From", gw.From)
	form.Set("Body", m.Body)
	u := strings.TrimRight(gw.URL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(gw.Username) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(gw.Username, gw.Secret)
	return req, nil
}

// Package smstest is a tiny SMS sink for tests: an HTTP endpoint that
// takes text messages in Kannel's shapes (its sendsms interface, or an HTTP
// SMSC of system-type generic that a real Kannel delivers to) and keeps
// them to be read back.
package smstest

import (
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
	"unicode/utf16"
)

// Message is one text message the sink took.
type Message struct {
	To, From, Text string
}

// Sink records messages. Every path answers as Kannel's sendsms does
// (202 "0: Accepted for delivery"); the query holds to, from, text and
// coding. On /cgi-bin/sendsms (Rollcall's own requests) text is UTF-8; on
// any other path (a Kannel HTTP SMSC, send-url
// "…?to=%p&from=%P&text=%b&coding=%c") coding 2 means UCS-2 bytes.
type Sink struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []Message
	more chan struct{}
}

// Start runs a sink on 127.0.0.1 at a free port.
func Start() *Sink { return StartOn("127.0.0.1:0") }

// StartOn runs a sink at addr; it panics when addr cannot be listened on.
func StartOn(addr string) *Sink {
	s := &Sink{more: make(chan struct{}, 1)}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		panic(err)
	}
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	s.srv.Start()
	return s
}

// URL is the sink's base address, http://127.0.0.1:port.
func (s *Sink) URL() string { return s.srv.URL }

// Close stops the sink.
func (s *Sink) Close() { s.srv.Close() }

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	text := q.Get("text")
	if c := q.Get("coding"); r.URL.Path != "/cgi-bin/sendsms" && (c == "2" || c == "3") {
		text = ucs2(text)
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, Message{To: q.Get("to"), From: q.Get("from"), Text: text})
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte("0: Accepted for delivery"))
}

func ucs2(b string) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16([]byte(b[2*i : 2*i+2]))
	}
	return string(utf16.Decode(u))
}

// Messages returns what the sink took so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the messages once there are at least n, or what there is
// after timeout.
func (s *Sink) Wait(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.more:
		case <-deadline:
			return s.Messages()
		}
	}
}

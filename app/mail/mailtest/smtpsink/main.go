// Command smtpsink is the browser tests' mail server: a real go-smtp server
// (mailtest) on 127.0.0.1:0 with an HTTP endpoint that lists what it
// received, parsed. It prints one JSON line {"smtp": ADDR, "http": ADDR}
// and runs until killed or its standard input closes.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	gomail "github.com/emersion/go-message/mail"

	"rollcall/app/mail/mailtest"
)

type message struct {
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Text    string   `json:"text"`
	HTML    string   `json:"html"`
}

func main() {
	srv, err := mailtest.Start(mailtest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/messages", func(w http.ResponseWriter, r *http.Request) {
		out := []message{}
		for _, rec := range srv.Messages() {
			m := message{From: rec.From, To: rec.To}
			if mr, err := gomail.CreateReader(bytes.NewReader(rec.Data)); err == nil {
				m.Subject, _ = mr.Header.Subject()
				for {
					p, err := mr.NextPart()
					if err != nil {
						break
					}
					b, _ := io.ReadAll(p.Body)
					if h, ok := p.Header.(*gomail.InlineHeader); ok {
						if ct, _, _ := h.ContentType(); ct == "text/html" {
							m.HTML = string(b)
						} else {
							m.Text = string(b)
						}
					}
				}
			}
			out = append(out, m)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	go http.Serve(ln, nil)
	json.NewEncoder(os.Stdout).Encode(map[string]any{"smtp": srv.Addr, "host": srv.Host, "port": srv.Port, "http": ln.Addr().String()})
	io.Copy(io.Discard, os.Stdin) // until the test closes our stdin
}

package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serveWith runs `serve` in-process with extra flags on a free loopback
// port; it returns the address and what serve prints.
func serveWith(t *testing.T, db string, extra ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	config := t.TempDir()
	addrc, done := make(chan string, 1), make(chan int, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Getenv: func(string) string { return "" },
		UserConfigDir: func() (string, error) { return config, nil },
		Listening:     func(addr string) { addrc <- addr }}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, extra...)
	go func() { done <- m.Run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, out.String())
		}
	})
	select {
	case addr := <-addrc:
		return addr, out
	case code := <-done:
		done <- code // for the cleanup
		t.Fatalf("serve %q exited %d before listening: %s", extra, code, out.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}

// endsWithin reads c until the server ends the connection and reports how
// long that took; it fails when the connection is still open after limit.
func endsWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection is still open after %v", limit)
	}
	return time.Since(start)
}

// TestServeSlowBodyCutOff: a client that sends its request body one byte at
// a time is cut off after --read-timeout, on the main and the LAN listener.
func TestServeSlowBodyCutOff(t *testing.T) {
	db := t.TempDir() + "/r.db"
	addr, out := serveWith(t, db, "--read-timeout", "400ms", "--public-addr", "127.0.0.1:0")
	lan := regexp.MustCompile(`Sign-up is open on this network at http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if lan == nil {
		t.Fatalf("no sign-up address in %q", out.String())
	}
	for _, target := range []struct{ addr, path string }{{addr, "/api/session"}, {lan[1], "/api/public/signup/ABCDEFGH"}} {
		c, err := net.Dial("tcp", target.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST "+target.path+" HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		stop := make(chan struct{})
		go func() { // one byte every 100 ms, as a slowloris does
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
		took := endsWithin(t, c, 4*time.Second)
		close(stop)
		t.Logf("%s: cut off after %v", target.addr, took)
	}
}

// TestServeLANConnsPerAddr: the LAN listener holds at most
// --max-conns-per-addr connections from one address; the next is closed at
// once, the ones it holds keep working, and a freed place can be taken.
func TestServeLANConnsPerAddr(t *testing.T) {
	db := t.TempDir() + "/r.db"
	_, out := serveWith(t, db, "--public-addr", "127.0.0.1:0", "--max-conns-per-addr", "3")
	lan := regexp.MustCompile(`Sign-up is open on this network at http://(127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if lan == nil {
		t.Fatalf("no sign-up address in %q", out.String())
	}
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", lan[1])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", lan[1])
	if err != nil {
		t.Fatal(err) // the kernel accepts; the server must close it
	}
	defer extra.Close()
	endsWithin(t, extra, 2*time.Second)

	healthz := func(c net.Conn) int {
		t.Helper()
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("a held connection no longer answers: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := healthz(held[0]); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	held[1].Close()
	time.Sleep(200 * time.Millisecond) // the server notices the close
	again, err := net.Dial("tcp", lan[1])
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if code := healthz(again); code != 200 {
		t.Fatalf("healthz on a freed place = %d", code)
	}
}

// Command ssoprovider is the browser tests' OpenID Connect provider: the
// test provider of app/ssotest (zitadel/oidc's OpenID-certified op package
// with its own keys and a plain sign-in page) on a given address, with one
// client and the people given. It prints one JSON line {"issuer": URL} and
// runs until killed or its standard input closes.
//
//	ssoprovider -addr 127.0.0.1:18461 -client rollcall -secret S \
//	  -redirect http://127.0.0.1:18460/api/public/sso/callback \
//	  -user 'ana:her password:ana@maple.example:Ana:Lind'
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"rollcall/app/ssotest"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "the address to listen on")
	client := flag.String("client", "rollcall", "the client ID Rollcall uses")
	secret := flag.String("secret", "", "the client secret")
	var redirects, users list
	flag.Var(&redirects, "redirect", "a redirect URI the client may use (repeatable)")
	flag.Var(&users, "user", "a person: username:password:email[:given[:family[:group]]] (repeatable); the email is verified")
	flag.Parse()
	if *secret == "" || len(redirects) == 0 {
		fmt.Fprintln(os.Stderr, "ssoprovider: -secret and -redirect are required")
		os.Exit(2)
	}
	p, err := ssotest.Start(*addr, *client, *secret, redirects...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ssoprovider:", err)
		os.Exit(1)
	}
	for i, u := range users {
		f := strings.Split(u, ":")
		if len(f) < 3 {
			fmt.Fprintf(os.Stderr, "ssoprovider: -user %q: want username:password:email[:given[:family[:group]]]\n", u)
			os.Exit(2)
		}
		for len(f) < 6 {
			f = append(f, "")
		}
		user := ssotest.User{Subject: fmt.Sprintf("sub-%d-%s", i+1, f[0]), Username: f[0], Password: f[1], Email: f[2],
			EmailVerified: true, GivenName: f[3], FamilyName: f[4]}
		if f[5] != "" {
			user.Claims = map[string]any{"groups": []string{f[5]}}
		}
		p.AddUser(user)
	}
	out, _ := json.Marshal(map[string]string{"issuer": p.Issuer})
	fmt.Println(string(out))
	done := make(chan os.Signal, 1)
	signal.Notify(done, os.Interrupt, syscall.SIGTERM)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		done <- syscall.SIGTERM
	}()
	<-done
	p.Close()
}

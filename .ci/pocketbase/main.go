// Command pocketbase is PocketBase v0.36.8 (pinned in go.mod) with one more
// command, seed, for Rollcall's side-by-side benchmark (`make bench-peer`,
// .ci/peerbench). It is a module of its own, so Rollcall's go.mod stays
// clean and the product's `go test ./...` never builds it.
package main

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

func main() {
	app := pocketbase.New()
	app.RootCmd.AddCommand(&cobra.Command{
		Use:   "seed PEOPLE.tsv BCRYPT_HASH",
		Short: "add the users collection's username and class fields and insert the people (first, last, username, email, class per line), each with the one hash, 1,000 per transaction",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return seed(app, args[0], args[1])
		},
	})
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

func seed(app core.App, path, hash string) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	if users.Fields.GetByName("username") == nil {
		users.Fields.Add(&core.TextField{Name: "username", Max: 150})
		users.Fields.Add(&core.TextField{Name: "class", Max: 100})
		users.AddIndex("idx_users_username", true, "username", "")
		if err := app.Save(users); err != nil {
			return err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var batch [][]string
	now := "2026-09-01 08:00:00.000Z"
	flush := func() error {
		err := app.RunInTransaction(func(tx core.App) error {
			for _, p := range batch {
				_, err := tx.DB().Insert("users", dbx.Params{
					"id": randomText(15, "abcdefghijklmnopqrstuvwxyz0123456789"), "email": p[3], "emailVisibility": false, "verified": false,
					"password": hash, "tokenKey": randomText(50, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
					"name": p[0] + " " + p[1], "avatar": "", "username": p[2], "class": p[4], "created": now, "updated": now,
				}).Execute()
				if err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	n := 0
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 5 {
			return fmt.Errorf("line %d: want 5 fields", n+1)
		}
		batch = append(batch, p)
		if n++; len(batch) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	fmt.Printf("seeded %d users\n", n)
	return sc.Err()
}

func randomText(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

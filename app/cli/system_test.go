package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"os"

	"rollcall/app"
	"rollcall/store"
)

// serve runs the scheduler: a person whose deletion date and grace period
// passed while Rollcall was not running is erased by the pass at start-up,
// and the file holds nothing of them once serve has stopped.
func TestServeRunsTheScheduler(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	d, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(d)
	ctx := context.Background()
	grace := 0
	if _, err := a.CreateOrganization(ctx, &app.Organization{Name: "Maple", Slug: "maple", PurgeGraceDays: &grace}); err != nil {
		t.Fatal(err)
	}
	yesterday := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	u, err := a.CreateUser(ctx, "maple", app.UserCreate{User: app.User{FirstName: "Evangelina", LastName: "Marblethwaite", Username: "evie.mt", DeleteOn: yesterday}})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()

	runCtx, cancel := context.WithCancel(ctx)
	listening := make(chan string, 1)
	done := make(chan int, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" },
		Listening: func(addr string) { listening <- addr }}
	go func() { done <- m.Run(runCtx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db}) }()
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	time.Sleep(500 * time.Millisecond) // the pass at start-up runs beside the listener
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	d, err = store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(d).User(ctx, "maple", u.ID)
	d.Close()
	if app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the person past their date is still there: %v", err)
	}
	data, _ := os.ReadFile(db)
	if bytes.Contains(data, []byte("Marblethwaite")) {
		t.Error("the file still holds the erased person's name")
	}
}

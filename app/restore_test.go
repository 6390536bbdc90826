package app_test

import (
	"context"
	"strings"
	"testing"

	"rollcall/app"
)

// A "user.delete" audit entry is committed even when nothing was deleted
// (wrong organization, stale list, person moved away by a join
// invitation). Restore treats every such ID as erased and purges a person
// who was never deleted.
func TestRestoreKeepsPeopleADeletionDidNotReach(t *testing.T) {
	env := lifeEnv(t)
	ctx := app.WithActor(context.Background(), app.CLIActor)
	mustOrg(t, env.a, &app.Organization{Name: "Oak Academy", Slug: "oak"})
	alive, err := env.a.CreateUser(ctx, "oak", app.UserCreate{User: app.User{FirstName: "Olive", LastName: "Oak", Username: "olive.oak"}, Password: "Correct-Horse-42"})
	if err != nil {
		t.Fatal(err)
	}
	// An admin of Maple deletes an ID that is not Maple's (stale list:
	// the person has moved to Oak). The app answers "not found"...
	if err := env.a.DeleteUser(ctx, "maple", alive.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("delete in the wrong organization: %v", err)
	}
	if _, err := env.a.Store.User(ctx, "", alive.ID); err != nil {
		t.Fatalf("Olive before the restore: %v", err)
	}
	b, err := env.a.BackUp(ctx, app.BackupManual)
	if err != nil {
		t.Fatal(err)
	}
	// ...yet restoring a backup (here: one taken a second ago, holding Olive) erases her.
	res, err := env.a.RestoreBackup(ctx, b.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.Store.User(ctx, "", alive.ID); err != nil {
		t.Fatalf("Olive, never deleted, after restoring a backup that holds her: %v (restore: %+v)", err, res)
	}
}

// Cancelling an invite-mode invitation whose account is no longer
// "invited" (the admin activated it) keeps the account, yet the audit entry
// says it was removed and drops its name.
func TestCancelAuditNamesAKeptAccount(t *testing.T) {
	env := lifeEnv(t)
	ctx := context.Background()
	res := env.invite(t, app.InviteRequest{Addresses: "Ivy Invited <ivy@maple.example>"})
	inv := res.Invited[0]
	if _, err := env.a.SetUserStatus(ctx, "maple", inv.UserID, app.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.CancelInvitation(ctx, "maple", inv.ID); err != nil {
		t.Fatal(err)
	}
	u, err := env.a.Store.User(ctx, "", inv.UserID)
	if err != nil {
		t.Fatalf("account: %v", err)
	}
	es, _, err := env.db.AuditEntries(ctx, app.AuditFilter{Action: "invitation.cancel"})
	if err != nil || len(es) != 1 {
		t.Fatal(es, err)
	}
	if es[0].Target.Name == app.DeletedPerson || strings.Contains(es[0].Detail, "removed") {
		t.Fatalf("account %s %s (%s) still exists, but the audit entry reads: name %q, detail %q", u.FirstName, u.LastName, u.Status, es[0].Target.Name, es[0].Detail)
	}
}

// A restore keeps only the sessions that are live now: someone who signed
// out after the backup was taken stays signed out (review of issue 11).
func TestRestoreKeepsSignOuts(t *testing.T) {
	env := lifeEnv(t)
	ctx := app.WithActor(context.Background(), app.CLIActor)
	env.user(t, app.User{FirstName: "Sigrid", LastName: "Out", Username: "sigrid.out"}, "Correct-Horse-42")
	env.user(t, app.User{FirstName: "Stay", LastName: "In", Username: "stay.in"}, "Correct-Horse-42")
	_, gone, err := env.a.SignInUser(ctx, "sigrid.out", "Correct-Horse-42", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	_, kept, err := env.a.SignInUser(ctx, "stay.in", "Correct-Horse-42", "192.0.2.2")
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.a.BackUp(ctx, app.BackupManual)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.a.SignOut(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.RestoreBackup(ctx, b.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := env.a.UserBySession(ctx, gone); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("a session signed out after the backup works after the restore: %v", err)
	}
	if _, err := env.a.UserBySession(ctx, kept); err != nil {
		t.Errorf("a session live then and now was ended by the restore: %v", err)
	}
}

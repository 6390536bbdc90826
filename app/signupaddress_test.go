package app_test

import (
	"testing"

	"rollcall/app"
	"rollcall/app/apptest"
)

// With sign-up on this network switched on, the display and posters use
// its address, even when the public address is set: a public address of
// this computer (the serve default, 127.0.0.1) opens on no phone, and the
// answer says so plainly.
func TestCodeAddressPrefersNetworkSignUp(t *testing.T) {
	a := apptest.New(t).App
	org := &app.Organization{Name: "Maple", PublicURL: "http://127.0.0.1:18080"}
	c := &app.InviteCode{Code: "K7QM3XRD"}
	lan := "http://192.168.1.20:8081"

	off := a.CodeAddress(org, c, nil, "")
	if off.Base != org.PublicURL || !off.LocalOnly {
		t.Errorf("network sign-up off: %+v, want the public address, said to be this computer's only", off)
	}
	on := a.CodeAddress(org, c, []string{lan + "/"}, "")
	if on.Base != lan || on.Address != "192.168.1.20:8081/join" || on.URL != lan+"/join/K7QM3XRD" || on.LocalOnly {
		t.Errorf("network sign-up on: %+v, want %s first and reachable", on, lan)
	}
	if len(on.Bases) != 2 || on.Bases[1] != org.PublicURL {
		t.Errorf("bases %v: the public address stays choosable", on.Bases)
	}
	if pub := a.CodeAddress(org, c, []string{lan}, org.PublicURL); pub.Base != org.PublicURL || !pub.LocalOnly {
		t.Errorf("the public address chosen: %+v", pub)
	}
	if !app.LocalOnly("http://localhost:8080") || app.LocalOnly("https://rollcall.maple.example") || app.LocalOnly("http://[::1]:80") == false {
		t.Error("LocalOnly: loopback addresses and localhost only")
	}
}

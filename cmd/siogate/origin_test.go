package main

import "testing"

func TestOriginPolicyAllowed(t *testing.T) {
	same := newOriginPolicy(nil)
	list := newOriginPolicy([]string{"https://App.example.com", "http://localhost:8080"})
	any := newOriginPolicy([]string{"*"})
	cases := []struct {
		name         string
		p            originPolicy
		origin, host string
		want         bool
	}{
		{"no origin", same, "", "gw:3000", true},
		{"same host and port", same, "http://gw:3000", "gw:3000", true},
		{"same host, case", same, "http://GW:3000", "gw:3000", true},
		{"https default port", same, "https://gw.example.com:443", "gw.example.com", true},
		{"https, no port", same, "https://gw.example.com", "gw.example.com", true},
		{"other port", same, "http://gw:3001", "gw:3000", false},
		{"other host", same, "https://evil.example", "gw:3000", false},
		{"suffix trick", same, "http://gw:3000.evil.example", "gw:3000", false},
		{"null origin", same, "null", "gw:3000", false},
		{"listed", list, "https://app.example.com", "gw:3000", true},
		{"listed, other scheme", list, "http://app.example.com", "gw:3000", false},
		{"listed, second", list, "http://localhost:8080", "gw:3000", true},
		{"list replaces same host", list, "http://gw:3000", "gw:3000", false},
		{"any", any, "https://evil.example", "gw:3000", true},
	}
	for _, tc := range cases {
		if got := tc.p.allowed(tc.origin, tc.host); got != tc.want {
			t.Errorf("%s: allowed(%q, %q) = %v, want %v", tc.name, tc.origin, tc.host, got, tc.want)
		}
	}
}

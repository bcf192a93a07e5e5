package main

import (
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/hub/eio"
)

func TestLimitFlagsDefaults(t *testing.T) {
	c, err := parseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := c.limits.apply(hub.Options{})
	if o.MaxConnections != 0 || o.MaxConnectionsPerIP != 0 || o.HandshakeRate != 0 || o.EventRate != 0 || o.TrustedProxies != nil {
		t.Errorf("the per-address limits and the event rate must be off by default: %+v", c.limits)
	}
	if o.EventRatePolicy != hub.RateAckError || o.MaxRoomsPerSocket != 1024 || o.MaxPendingAcks != 1024 || o.MaxAttachments != 10 || o.MaxMailbox != 1024 {
		t.Errorf("defaults: %+v", c.limits)
	}
	srv, err := hub.New(o)
	if err != nil {
		t.Fatalf("the default limits do not make a hub: %v", err)
	}
	_ = srv.Shutdown(t.Context())
}

func TestLimitFlagsEnvAndFlags(t *testing.T) {
	t.Setenv("SIOGATE_MAX_CONNECTIONS_PER_IP", "3")
	t.Setenv("SIOGATE_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1 ,2001:db8::1/64")
	t.Setenv("SIOGATE_EVENT_RATE", "20")
	c, err := parseConfig([]string{"-event-rate", "50", "-event-rate-policy", "disconnect", "-max-connections", "100000",
		"-handshake-rate", "0.5", "-handshake-burst", "4", "-event-burst", "80", "-max-rooms-per-socket", "-1",
		"-max-pending-acks", "16", "-max-attachments", "2", "-max-mailbox", "64"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := c.limits.apply(hub.Options{})
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("2001:db8::/64")}
	if !slices.Equal(o.TrustedProxies, want) {
		t.Errorf("trusted proxies %v, want %v", o.TrustedProxies, want)
	}
	if o.MaxConnectionsPerIP != 3 || o.EventRate != 50 || o.EventRatePolicy != hub.RateDisconnect || o.MaxConnections != 100000 ||
		o.HandshakeRate != 0.5 || o.HandshakeBurst != 4 || o.EventBurst != 80 || o.MaxRoomsPerSocket != -1 ||
		o.MaxPendingAcks != 16 || o.MaxAttachments != 2 || o.MaxMailbox != 64 {
		t.Errorf("limits: %+v", c.limits)
	}
}

func TestLimitFlagsErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-max-connections", "-1"}, "-max-connections"},
		{[]string{"-max-connections-per-ip", "-5"}, "-max-connections-per-ip"},
		{[]string{"-handshake-rate", "-1"}, "-handshake-rate"},
		{[]string{"-event-rate", "NaN"}, "-event-rate"},
		{[]string{"-event-rate", "+Inf"}, "-event-rate"},
		{[]string{"-event-burst", "-1"}, "-event-burst"},
		{[]string{"-event-rate-policy", "kick"}, "-event-rate-policy"},
		{[]string{"-max-rooms-per-socket", "0"}, "-max-rooms-per-socket"},
		{[]string{"-max-pending-acks", "-2"}, "-max-pending-acks"},
		{[]string{"-max-attachments", "0"}, "-max-attachments"},
		{[]string{"-max-mailbox", "0"}, "-max-mailbox"},
		{[]string{"-trusted-proxies", "proxy.example"}, "-trusted-proxies"},
		{[]string{"-trusted-proxies", "10.0.0.0/33"}, "-trusted-proxies"},
	}
	for _, tc := range cases {
		_, err := parseConfig(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want one naming %s", tc.args, err, tc.want)
		}
	}
}

// TestLimitLabelsDisjoint: the hub's and Engine.IO's limits share the
// metric siogate_limit_hits_total, so their label values must differ (a
// duplicate would make every scrape fail).
func TestLimitLabelsDisjoint(t *testing.T) {
	seen := map[string]bool{}
	srv, err := hub.New(hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(t.Context()) }()
	for l := range srv.Stats().Limited {
		seen[string(l)] = true
	}
	for l := range srv.Engine().Stats().Limited {
		if seen[string(l)] {
			t.Errorf("limit %q is both a hub and an Engine.IO limit", l)
		}
		seen[string(l)] = true
	}
	for _, l := range []string{string(hub.LimitEventRate), string(eio.LimitConnectionsPerIP), string(eio.LimitHandshakeRate)} {
		if !seen[l] {
			t.Errorf("limit %q is not in Stats", l)
		}
	}
}

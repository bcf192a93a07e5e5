package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clients only pass with -allow-anonymous.
func TestBadTokenGetsConnectError(t *testing.T) {
	t.Parallel()
	p := startGateway(t, "", "-jwt-secret", testSecret)
	anon := startGateway(t, "", "-jwt-secret", testSecret, "-allow-anonymous")
	pp := startPuppet(t)
	past := time.Now().Add(-time.Minute).Unix()
	cases := []struct {
		name, token, code, message string
	}{
		{"expired", hsToken(t, testSecret, jwt.MapClaims{"sub": "u", "exp": past}), "token_expired", "unauthorized: token expired"},
		{"wrong secret", userToken(t, "other-secret", "u"), "token_invalid", "unauthorized: token signature invalid"},
		{"garbage", "not.a.jwt", "token_malformed", "unauthorized: token malformed"},
		{"no user", hsToken(t, testSecret, jwt.MapClaims{"name": "u"}), "token_no_user", `unauthorized: token has no usable "sub" claim`},
		{"no token", "", "token_missing", "unauthorized: no token"},
	}
	for i, tc := range cases {
		id := fmt.Sprint("bad", i)
		ev := pp.connect(id, p.base, tc.token, nil)
		if ev.Type != "connect_error" || !strings.HasPrefix(ev.Message, tc.message) || !jsonEq(ev.Data, []byte(`{"code":"`+tc.code+`"}`)) {
			t.Errorf("%s: got %s %q data %s, want connect_error %q code %s", tc.name, ev.Type, ev.Message, ev.Data, tc.message, tc.code)
		}
	}
	mfs := p.metrics(t)
	for _, tc := range cases {
		if v := metricValue(t, mfs, "siogate_handshake_rejections_total", map[string]string{"reason": tc.code}); v != 1 {
			t.Errorf("siogate_handshake_rejections_total{reason=%q} = %v, want 1", tc.code, v)
		}
	}
	if ev := pp.connect("good", p.base, userToken(t, testSecret, "u"), nil); ev.Type != "connect" {
		t.Errorf("valid token: %s %s", ev.Type, ev.Message)
	}
	if ev := pp.connect("anon", anon.base, "", nil); ev.Type != "connect" {
		t.Errorf("no token with -allow-anonymous: %s %s", ev.Type, ev.Message)
	}
	if ev := pp.connect("anon-bad", anon.base, "not.a.jwt", nil); ev.Type != "connect_error" {
		t.Errorf("bad token with -allow-anonymous: %s, want connect_error", ev.Type)
	}
}

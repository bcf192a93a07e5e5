package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/siogate/siogate/hub"
)

func TestAuthenticate(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pubFile := filepath.Join(t.TempDir(), "jwt.pub")
	if err := os.WriteFile(pubFile, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	rs := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hs := func(claims jwt.MapClaims) string { return hsToken(t, testSecret, claims) }
	hour := time.Now().Add(time.Hour).Unix()
	authOf := func(token string) hub.Raw {
		b, _ := json.Marshal(map[string]string{"token": token})
		return b
	}

	hsOnly := config{jwtSecret: testSecret, jwtUserClaim: "sub"}
	rsOnly := config{jwtPublicKey: pubFile, jwtUserClaim: "sub"}
	rsInline := config{jwtPublicKey: string(pubPEM), jwtUserClaim: "uid", jwtIssuer: "issuer", jwtAudience: "siogate"}
	open := config{jwtUserClaim: "sub"}
	anon := config{jwtSecret: testSecret, jwtUserClaim: "sub", allowAnonymous: true}

	cases := []struct {
		name string
		cfg  config
		auth hub.Raw
		user string
		code string
	}{
		{"hs256", hsOnly, authOf(hs(jwt.MapClaims{"sub": "alice", "exp": hour})), "alice", ""},
		{"hs256 numeric sub", hsOnly, authOf(hs(jwt.MapClaims{"sub": 12345678901234567})), "12345678901234567", ""},
		{"hs256 expired", hsOnly, authOf(hs(jwt.MapClaims{"sub": "a", "exp": time.Now().Add(-time.Second).Unix()})), "", "token_expired"},
		{"hs256 not yet", hsOnly, authOf(hs(jwt.MapClaims{"sub": "a", "nbf": hour})), "", "token_not_yet_valid"},
		{"hs256 wrong secret", hsOnly, authOf(userToken(t, "x", "a")), "", "token_invalid"},
		{"rs256 token, hs256 configured", hsOnly, authOf(rs(jwt.MapClaims{"sub": "a"})), "", "token_invalid"},
		{"rs256 file", rsOnly, authOf(rs(jwt.MapClaims{"sub": "bob", "exp": hour})), "bob", ""},
		{"hs256 token, rs256 configured", rsOnly, authOf(hs(jwt.MapClaims{"sub": "a"})), "", "token_invalid"},
		{"rs256 inline, custom claim", rsInline, authOf(rs(jwt.MapClaims{"uid": "carol", "iss": "issuer", "aud": "siogate"})), "carol", ""},
		{"rs256 wrong issuer", rsInline, authOf(rs(jwt.MapClaims{"uid": "c", "iss": "other", "aud": "siogate"})), "", "token_claims"},
		{"rs256 wrong audience", rsInline, authOf(rs(jwt.MapClaims{"uid": "c", "iss": "issuer", "aud": "other"})), "", "token_claims"},
		{"claim missing", rsInline, authOf(rs(jwt.MapClaims{"sub": "c", "iss": "issuer", "aud": "siogate"})), "", "token_no_user"},
		{"claim not a string", hsOnly, authOf(hs(jwt.MapClaims{"sub": true})), "", "token_no_user"},
		{"claim too long", hsOnly, authOf(hs(jwt.MapClaims{"sub": strings.Repeat("x", 300)})), "", "token_no_user"},
		{"alg none", hsOnly, authOf("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhIn0."), "", "token_invalid"},
		{"malformed", hsOnly, authOf("abc"), "", "token_malformed"},
		{"token not a string", hsOnly, hub.Raw(`{"token": 5}`), "", "token_malformed"},
		{"no token", hsOnly, hub.Raw(`{}`), "", "token_missing"},
		{"null token", hsOnly, hub.Raw(`{"token": null}`), "", "token_missing"},
		{"auth not an object", hsOnly, hub.Raw(`[1]`), "", "token_missing"},
		{"anonymous allowed", anon, hub.Raw(`{}`), "", ""},
		{"anonymous allowed, bad token", anon, authOf("abc"), "", "token_malformed"},
		{"auth off", open, authOf("anything"), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := newAuthenticator(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			user, aerr := a.authenticate(tc.auth)
			code := ""
			if aerr != nil {
				code = aerr.code
				if !strings.HasPrefix(aerr.message, "unauthorized: ") {
					t.Errorf("message %q", aerr.message)
				}
			}
			if user != tc.user || code != tc.code {
				t.Errorf("got user %q code %q, want %q %q", user, code, tc.user, tc.code)
			}
		})
	}
}

func TestAuthenticatorBadKey(t *testing.T) {
	if _, err := newAuthenticator(config{jwtPublicKey: filepath.Join(t.TempDir(), "missing.pem"), jwtUserClaim: "sub"}); err == nil {
		t.Error("a missing key file must be an error")
	}
	if _, err := newAuthenticator(config{jwtPublicKey: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n", jwtUserClaim: "sub"}); err == nil {
		t.Error("a bad PEM must be an error")
	}
}

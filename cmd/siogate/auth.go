package main

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/siogate/siogate/hub"
)

// maxUserID bounds the user id taken from a token (it names a room).
const maxUserID = 256

// authenticator checks the JWT a client sends in its handshake
// (auth.token). It is immutable after newAuthenticator and safe for
// concurrent use.
type authenticator struct {
	parser    *jwt.Parser
	hmacKey   []byte
	rsaKey    *rsa.PublicKey
	claim     string
	anonymous bool // a client without a token is accepted
}

// authError refuses a connection: the client gets CONNECT_ERROR with
// {"message": message, "data": {"code": code}}. code is also the metric
// label, so it comes from a fixed set.
type authError struct {
	code    string
	message string
}

func (e *authError) Error() string { return e.message }

func (e *authError) connectError() *hub.ConnectError {
	return &hub.ConnectError{Message: e.message, Data: map[string]string{"code": e.code}}
}

// newAuthenticator builds the checker cfg asks for; with no key configured
// every client is anonymous.
func newAuthenticator(cfg config) (*authenticator, error) {
	a := &authenticator{claim: cfg.jwtUserClaim, anonymous: cfg.allowAnonymous || !cfg.authEnabled()}
	if !cfg.authEnabled() {
		return a, nil
	}
	var methods []string
	if cfg.jwtSecret != "" {
		a.hmacKey = []byte(cfg.jwtSecret)
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.jwtPublicKey != "" {
		pem := []byte(cfg.jwtPublicKey)
		if !strings.HasPrefix(strings.TrimSpace(cfg.jwtPublicKey), "-----BEGIN") {
			b, err := os.ReadFile(cfg.jwtPublicKey)
			if err != nil {
				return nil, fmt.Errorf("-jwt-public-key: %w", err)
			}
			pem = b
		}
		key, err := jwt.ParseRSAPublicKeyFromPEM(pem)
		if err != nil {
			return nil, fmt.Errorf("-jwt-public-key: %w", err)
		}
		a.rsaKey = key
		methods = append(methods, jwt.SigningMethodRS256.Alg())
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(methods), jwt.WithJSONNumber()}
	if cfg.jwtIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.jwtIssuer))
	}
	if cfg.jwtAudience != "" {
		opts = append(opts, jwt.WithAudience(cfg.jwtAudience))
	}
	a.parser = jwt.NewParser(opts...)
	return a, nil
}

// enabled reports whether tokens are checked at all.
func (a *authenticator) enabled() bool { return a.parser != nil }

// authenticate returns the user id of the client's token ("" for an
// accepted anonymous client) or why the client is refused.
func (a *authenticator) authenticate(auth hub.Raw) (string, *authError) {
	if !a.enabled() {
		return "", nil
	}
	var payload struct {
		Token json.RawMessage `json:"token"`
	}
	_ = json.Unmarshal(auth, &payload) // not an object: no token
	if len(payload.Token) == 0 || string(payload.Token) == "null" {
		if a.anonymous {
			return "", nil
		}
		return "", &authError{"token_missing", "unauthorized: no token (pass it in the handshake as auth.token)"}
	}
	var token string
	if err := json.Unmarshal(payload.Token, &token); err != nil || token == "" {
		return "", &authError{"token_malformed", "unauthorized: auth.token must be a non-empty string"}
	}
	claims := jwt.MapClaims{}
	_, err := a.parser.ParseWithClaims(token, claims, a.key)
	if err != nil {
		return "", classifyTokenError(err)
	}
	user, ok := userID(claims[a.claim])
	if !ok {
		return "", &authError{"token_no_user", fmt.Sprintf("unauthorized: token has no usable %q claim (a string or number of 1 to %d bytes)", a.claim, maxUserID)}
	}
	return user, nil
}

func (a *authenticator) key(t *jwt.Token) (any, error) {
	switch t.Method.Alg() {
	case jwt.SigningMethodHS256.Alg():
		if a.hmacKey != nil {
			return a.hmacKey, nil
		}
	case jwt.SigningMethodRS256.Alg():
		if a.rsaKey != nil {
			return a.rsaKey, nil
		}
	}
	return nil, fmt.Errorf("unexpected signing method %s", t.Method.Alg())
}

func classifyTokenError(err error) *authError {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return &authError{"token_expired", "unauthorized: token expired"}
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return &authError{"token_not_yet_valid", "unauthorized: token not valid yet"}
	case errors.Is(err, jwt.ErrTokenMalformed):
		return &authError{"token_malformed", "unauthorized: token malformed"}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return &authError{"token_invalid", "unauthorized: token signature invalid or signing method not accepted"}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenInvalidAudience):
		return &authError{"token_claims", "unauthorized: token issuer or audience not accepted"}
	default:
		return &authError{"token_invalid", "unauthorized: token invalid"}
	}
}

// userID turns a claim value into a user id: a non-empty string, or a
// number written as JSON wrote it.
func userID(v any) (string, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		return "", false
	}
	if s == "" || len(s) > maxUserID {
		return "", false
	}
	return s, true
}

// userRoom is the room every socket of a user joins.
func userRoom(user string) string { return "user:" + user }

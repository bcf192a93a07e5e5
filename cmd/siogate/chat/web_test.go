package chat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/siogate/siogate/hub"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// TestPageWithoutBundle: a binary built without `make chat-assets` answers
// 503 with the fix, on every path.
func TestPageWithoutBundle(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":       {Data: []byte("<!doctype html>")},
		"chat.js":          {Data: []byte("//")},
		"vendor/README.md": {Data: []byte("filled by make chat-assets")},
	}
	h := newWebHandler(fsys, func() ([]byte, error) { return []byte("{}"), nil })
	for _, path := range []string{"/", "/chat.js", "/config.json"} {
		res, body := get(t, h, path)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "make chat-assets") {
			t.Errorf("GET %s: %d %q, want 503 saying to run make chat-assets", path, res.StatusCode, body)
		}
	}
	if err := checkAssets(fsys); err != ErrNoClientBundle {
		t.Errorf("checkAssets = %v, want ErrNoClientBundle", err)
	}
}

func TestPage(t *testing.T) {
	c, err := New(Options{MaxAttachment: 1234})
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"index.html":              {Data: []byte("<!doctype html><title>siogate chat</title>")},
		"vendor/socket.io.min.js": {Data: []byte("/* bundle */")},
	}
	h := newWebHandler(fsys, c.clientConfig)
	if res, _ := get(t, h, "/config.json"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("config before Mount: %d, want 503", res.StatusCode)
	}

	srv, err := hub.New(hub.Options{Path: "/sio/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	c.Mount(srv.Of("/chat"))

	res, body := get(t, h, "/")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "siogate chat") {
		t.Fatalf("GET /: %d %q", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	if res, body := get(t, h, "/vendor/socket.io.min.js"); res.StatusCode != http.StatusOK || body != "/* bundle */" {
		t.Errorf("bundle: %d %q", res.StatusCode, body)
	}
	if res, _ := get(t, h, "/vendor/"); res.StatusCode != http.StatusNotFound {
		t.Errorf("directory listing: %d, want 404", res.StatusCode)
	}

	res, body = get(t, h, "/config.json")
	var cfg clientConfig
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("config.json: %v %q (%s)", err, body, res.Header.Get("Content-Type"))
	}
	want := clientConfig{Path: "/sio/", Namespace: "/chat", MaxMessageLen: DefaultMaxMessageLen, MaxNameLen: DefaultMaxNameLen, MaxAttachment: 1234, VoiceSeconds: VoiceSeconds}
	if cfg != want {
		t.Errorf("config %+v, want %+v", cfg, want)
	}
}

// TestEmbeddedPage checks the files the binary embeds: the page's own
// files always, the bundle when `make chat-assets` ran before the build.
func TestEmbeddedPage(t *testing.T) {
	fsys := webFiles()
	for _, name := range []string{"index.html", "chat.css", "chat.js", "favicon.svg", "vendor/README.md"} {
		if _, err := fsys.Open(name); err != nil {
			t.Errorf("%s not embedded: %v", name, err)
		}
	}
	if _, err := fsys.Open("package.json"); err == nil {
		t.Error("package.json is embedded; only the page's files should be")
	}
	if err := CheckAssets(); err != nil {
		t.Logf("no client bundle in this build (%v): the page answers 503", err)
	}
}

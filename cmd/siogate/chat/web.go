package chat

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strings"
)

// The page: plain HTML, CSS and JavaScript in web/, plus the official
// socket.io-client browser bundle that `make chat-assets` copies from npm
// into web/vendor/ (never committed). web/vendor/README.md keeps the
// pattern valid when the bundle is missing.
//
//go:embed web/*.html web/*.css web/*.js web/*.svg web/vendor
var embedded embed.FS

// bundlePath is the socket.io-client bundle inside web/.
const bundlePath = "vendor/socket.io.min.js"

// ErrNoClientBundle: the binary was built without the socket.io-client
// browser bundle, so the page cannot work; Handler answers 503.
var ErrNoClientBundle = errors.New("chat: the socket.io-client browser bundle (cmd/siogate/chat/web/" + bundlePath +
	") was missing when this binary was built: run `make chat-assets`, then build again")

// noBundleText is the 503 answer of a page without its bundle.
const noBundleText = "siogate chat: this build has no socket.io-client browser bundle, so the chat page cannot run.\n" +
	"Run `make chat-assets` (or `make run`), then build or run the gateway again; -chat=false turns the chat off.\n"

// VoiceSeconds is the longest voice clip the page records.
const VoiceSeconds = 60

// CheckAssets reports whether the page has everything it needs:
// ErrNoClientBundle when the socket.io-client bundle was not embedded.
func CheckAssets() error { return checkAssets(webFiles()) }

func checkAssets(fsys fs.FS) error {
	if _, err := fs.Stat(fsys, bundlePath); err != nil {
		return ErrNoClientBundle
	}
	return nil
}

func webFiles() fs.FS {
	sub, err := fs.Sub(embedded, "web")
	if err != nil {
		panic(err) // "web" is a valid path: cannot happen
	}
	return sub
}

// Handler serves the page at / with its files and /config.json (what the
// page needs to connect). Without the client bundle every request gets 503
// with a line saying how to build it. Mount the chat before serving.
func (c *Chat) Handler() http.Handler { return c.web }

// clientConfig is /config.json.
type clientConfig struct {
	Path          string `json:"path"`      // the Socket.IO endpoint, e.g. /socket.io/
	Namespace     string `json:"namespace"` // e.g. /chat
	MaxMessageLen int    `json:"maxMessageLen"`
	MaxNameLen    int    `json:"maxNameLen"`
	MaxAttachment int    `json:"maxAttachment"`
	VoiceSeconds  int    `json:"voiceSeconds"`
}

func (c *Chat) clientConfig() ([]byte, error) {
	n := c.namespace()
	if n == nil {
		return nil, errors.New("chat: Handler served before Mount")
	}
	return json.Marshal(clientConfig{
		Path:          n.Server().Options().Path,
		Namespace:     n.Name(),
		MaxMessageLen: c.o.MaxMessageLen,
		MaxNameLen:    c.o.MaxNameLen,
		MaxAttachment: c.o.MaxAttachment,
		VoiceSeconds:  VoiceSeconds,
	})
}

// contentSecurityPolicy lets the page load only its own files, connect
// only to its own origin, and show (or read back) attachments from the
// blob: URLs it makes.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"media-src 'self' blob:; connect-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

func newWebHandler(fsys fs.FS, config func() ([]byte, error)) http.Handler {
	if checkAssets(fsys) != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, noBundleText, http.StatusServiceUnavailable)
		})
	}
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		case r.URL.Path == "/config.json":
			b, err := config()
			if err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(b)
		case r.URL.Path != "/" && strings.HasSuffix(r.URL.Path, "/"):
			http.NotFound(w, r) // no directory listings
		default:
			files.ServeHTTP(w, r)
		}
	})
}

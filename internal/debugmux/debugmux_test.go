package debugmux

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRegister(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux)
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/debug/gc", "ok\n"},
		{"GET", "/debug/pprof/", ""},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != http.StatusOK || (tc.want != "" && rec.Body.String() != tc.want) {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/debug/gc", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /debug/gc: %d", rec.Code)
	}
}

// Package debugmux mounts the endpoints the benchmark harness
// (bench/cmd/siobench) reads on every Go server it measures:
// net/http/pprof under /debug/pprof/, and GET /debug/gc, which runs a full
// collection and returns freed memory to the OS, then answers "ok", so that
// RSS is read settled.
package debugmux

import (
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
)

// Register adds the endpoints to mux.
func Register(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/gc", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		_, _ = w.Write([]byte("ok\n"))
	})
}

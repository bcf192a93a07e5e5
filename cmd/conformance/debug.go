package main

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"

	"github.com/siogate/siogate/hub"
	"github.com/siogate/siogate/internal/debugmux"
)

// mountDebug adds the endpoints bench/cmd/siobench samples: net/http/pprof
// under /debug/pprof/, GET /debug/gc, which runs runtime.GC and
// debug.FreeOSMemory and answers "ok", so that RSS is read settled, and GET
// /debug/stats (debugStats as JSON).
func mountDebug(mux *http.ServeMux, srv *hub.Server) {
	debugmux.Register(mux)
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(readDebugStats(srv))
	})
}

// debugStats is the answer of GET /debug/stats: the runtime's figures
// (without a collection) and the Socket.IO server's counters. The field
// names follow bench/node/server.mjs's /debug/stats.
type debugStats struct {
	PID           int               `json:"pid"`
	Goroutines    int               `json:"goroutines"`
	HeapAlloc     uint64            `json:"heapAlloc"`
	HeapInuse     uint64            `json:"heapInuse"`
	Clients       int64             `json:"clients"`
	Sockets       int64             `json:"sockets"`
	SlowConsumers uint64            `json:"slowConsumers"`
	Disconnects   map[string]uint64 `json:"disconnects"`
}

func readDebugStats(srv *hub.Server) debugStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	st := srv.Stats()
	out := debugStats{
		PID: os.Getpid(), Goroutines: runtime.NumGoroutine(), HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse,
		Clients: st.Clients, Sockets: st.Sockets, SlowConsumers: st.SlowConsumers,
		Disconnects: make(map[string]uint64, len(st.Disconnects)),
	}
	for r, n := range st.Disconnects {
		if n > 0 {
			out.Disconnects[string(r)] = n
		}
	}
	return out
}

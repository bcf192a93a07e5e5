package main

import (
	"encoding/json"
	"io"
	"math"
	"sync"
)

// record is one measurement: one target, one socket count, one run, and
// for fan-out and echo one payload size or offered rate. It is written as
// one JSON line. Times are in milliseconds unless the name says otherwise;
// CPU percentages are of one core.
type record struct {
	Scenario string  `json:"scenario"` // idle, broadcast, burst, echo, connect, reconnect, rooms, slow, mix, churn
	Run      int     `json:"run"`
	Target   string  `json:"target"`
	Protocol string  `json:"protocol"` // socketio or websocket
	N        int     `json:"n"`        // sockets asked for
	Size     int     `json:"size,omitempty"`
	Burst    int     `json:"burst,omitempty"`
	Rate     float64 `json:"rate,omitempty"` // offered echo rate, messages/s

	Connected      int     `json:"connected"`
	Failed         int     `json:"failed"`
	LoadProcs      int     `json:"load_procs"`
	ConnectMS      int64   `json:"connect_ms"`
	HandshakeP50MS float64 `json:"handshake_p50_ms"`
	HandshakeP99MS float64 `json:"handshake_p99_ms"`
	ClientError    string  `json:"client_error,omitempty"`

	// Idle: the server with no client, then holding the sockets, both right
	// after a forced collection; per socket = delta / connected.
	RSSBefore           int64   `json:"rss_before,omitempty"`
	RSSAfter            int64   `json:"rss_after,omitempty"`
	RSSPerSocketKiB     float64 `json:"rss_per_socket_kib,omitempty"`
	RSSAnonPerSocketKiB float64 `json:"rss_anon_per_socket_kib,omitempty"`
	RSSIdleMax          int64   `json:"rss_idle_max,omitempty"`
	HeapPerSocketKiB    float64 `json:"heap_per_socket_kib,omitempty"`  // Go targets
	StackPerSocketKiB   float64 `json:"stack_per_socket_kib,omitempty"` // Go targets
	GoroutinesBefore    int     `json:"goroutines_before,omitempty"`
	GoroutinesAfter     int     `json:"goroutines_after,omitempty"`
	GoroutinesPerSocket float64 `json:"goroutines_per_socket"`
	FDsBefore           int     `json:"server_fds_before,omitempty"`
	FDsEnd              int     `json:"server_fds_end,omitempty"`
	IdleCPUPct          float64 `json:"idle_cpu_pct,omitempty"`
	Pings               int64   `json:"pings,omitempty"` // pings answered by the clients in the window

	// Broadcast and burst.
	Broadcasts       int     `json:"broadcasts,omitempty"`  // broadcasts measured
	Incomplete       int     `json:"incomplete,omitempty"`  // broadcasts that did not reach every socket in time
	Expected         int64   `json:"expected,omitempty"`    // deliveries expected
	Deliveries       int64   `json:"deliveries,omitempty"`  // deliveries received
	LastMS           float64 `json:"last_ms,omitempty"`     // broadcast: median time to the last socket; burst: first send to last receive
	LastMaxMS        float64 `json:"last_max_ms,omitempty"` // broadcast: worst time to the last socket
	P50MS            float64 `json:"p50_ms,omitempty"`      // per-delivery (or per-echo) latency
	P99MS            float64 `json:"p99_ms,omitempty"`
	MaxMS            float64 `json:"max_ms,omitempty"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec,omitempty"`
	CPUUSPerDelivery float64 `json:"cpu_us_per_delivery,omitempty"`

	// Echo with acknowledgement.
	EchoSent      int64   `json:"echo_sent,omitempty"`
	EchoAcked     int64   `json:"echo_acked,omitempty"`
	AchievedRate  float64 `json:"achieved_rate,omitempty"` // acknowledged per second of sending
	CPUUSPerEcho  float64 `json:"cpu_us_per_echo,omitempty"`
	Pass          *bool   `json:"pass,omitempty"`     // p99 within the limit, every echo answered
	Attempts      int     `json:"attempts,omitempty"` // measurements of this rate (a failing one is retried)
	EchoP99Limit  float64 `json:"echo_p99_limit_ms,omitempty"`
	ServerCPUMS   float64 `json:"server_cpu_ms,omitempty"` // over the measured phase
	ServerCPUPct  float64 `json:"server_cpu_pct,omitempty"`
	Lost          int     `json:"lost,omitempty"`            // sockets closed during the measurement
	LostReasons   string  `json:"lost_reasons,omitempty"`    // by class
	ServerRSSPeak int64   `json:"server_rss_peak,omitempty"` // after the phase

	// Connect and reconnect storms. ConnectMS is then the storm's wall time
	// (the connect command to the last report) and the handshake figures
	// are the storm's.
	StormConcurrency int     `json:"storm_concurrency,omitempty"` // handshakes in flight per load process
	ConnectRate      float64 `json:"connect_rate,omitempty"`      // sockets ready per second of the storm
	HandshakeMaxMS   float64 `json:"handshake_max_ms,omitempty"`
	Retries          int     `json:"retries,omitempty"`            // attempts repeated after a transient error
	CPUUSPerConnect  float64 `json:"cpu_us_per_connect,omitempty"` // server CPU over the storm / sockets ready
	// Reconnect: every socket closed at once, then connected again.
	Reconnected       int    `json:"reconnected,omitempty"`
	ReconnectFailed   int    `json:"reconnect_failed,omitempty"`
	ReconnectErrors   string `json:"reconnect_errors,omitempty"`
	ServerSocketsPre  int64  `json:"server_sockets_before,omitempty"` // the server's own count, before the storm
	ServerSocketsPost int64  `json:"server_sockets_after,omitempty"`  // and after it settled

	// Rooms: sockets in rooms of RoomSize, broadcasts to random rooms.
	RoomSize int   `json:"room_size,omitempty"`
	Rooms    int   `json:"rooms,omitempty"`
	JoinFail int   `json:"join_failed,omitempty"`
	Emitted  int64 `json:"emitted,omitempty"` // room (or paced) broadcasts sent

	// Slow consumers: phase 1 with every socket reading, phase 2 with
	// StallShare of them stalled; P99MS/P50MS/MaxMS and Deliveries are the
	// reading sockets' in phase 2.
	StallShare       float64 `json:"stall_share,omitempty"`
	Stalled          int     `json:"stalled,omitempty"`
	QueueLimit       int     `json:"queue_limit,omitempty"` // the server's per-client limit, bytes (0: none)
	BaseP50MS        float64 `json:"base_p50_ms,omitempty"`
	BaseP99MS        float64 `json:"base_p99_ms,omitempty"`
	BaseDeliveries   int64   `json:"base_deliveries,omitempty"`
	P99Ratio         float64 `json:"p99_ratio,omitempty"` // phase 2 p99 / phase 1 p99
	RSSBaseEnd       int64   `json:"rss_base_end,omitempty"`
	RSSSlowMax       int64   `json:"rss_slow_max,omitempty"`
	RSSSlowEnd       int64   `json:"rss_slow_end,omitempty"`
	RSSSeries        []int64 `json:"rss_series,omitempty"`   // both phases, one sample a second
	RSSStallAt       int     `json:"rss_stall_at,omitempty"` // index in RSSSeries of phase 2's first sample
	StalledClosed    int     `json:"stalled_closed,omitempty"`
	StalledReasons   string  `json:"stalled_reasons,omitempty"` // as the load processes saw it on resuming
	StalledOpen      int     `json:"stalled_open,omitempty"`    // stalled sockets still open at the end
	ServerSlow       uint64  `json:"server_slow_consumers,omitempty"`
	ServerDisconnect string  `json:"server_disconnects,omitempty"` // the server's disconnect reasons since start

	// Mix of transports: the WebSocket and the long-polling sockets.
	PollingShare   float64 `json:"polling_share,omitempty"`
	WSConnected    int     `json:"ws_connected,omitempty"`
	PollConnected  int     `json:"polling_connected,omitempty"`
	WSDeliveries   int64   `json:"ws_deliveries,omitempty"`
	PollDeliveries int64   `json:"polling_deliveries,omitempty"`
	WSExpected     int64   `json:"ws_expected,omitempty"`
	PollExpected   int64   `json:"polling_expected,omitempty"`
	WSPerSec       float64 `json:"ws_deliveries_per_sec,omitempty"`
	PollPerSec     float64 `json:"polling_deliveries_per_sec,omitempty"`
	WSP50MS        float64 `json:"ws_p50_ms,omitempty"`
	WSP99MS        float64 `json:"ws_p99_ms,omitempty"`
	PollP50MS      float64 `json:"polling_p50_ms,omitempty"`
	PollP99MS      float64 `json:"polling_p99_ms,omitempty"`

	// Churn soak: connect/emit/disconnect cycles, then the server's
	// goroutines and live heap against the baseline taken after a warm-up.
	Cycles          int     `json:"cycles,omitempty"`
	CyclesWS        int     `json:"cycles_ws,omitempty"`
	CyclesPolling   int     `json:"cycles_polling,omitempty"`
	CyclesFailed    int     `json:"cycles_failed,omitempty"`
	CycleErrors     string  `json:"cycle_errors,omitempty"`
	CyclesPerSec    float64 `json:"cycles_per_sec,omitempty"`
	CycleP50MS      float64 `json:"cycle_p50_ms,omitempty"`
	CycleP99MS      float64 `json:"cycle_p99_ms,omitempty"`
	Warmup          int     `json:"warmup,omitempty"`
	GoroutinesFresh int     `json:"goroutines_fresh,omitempty"`
	GoroutinesBase  int     `json:"goroutines_base,omitempty"`
	GoroutinesEnd   int     `json:"goroutines_end,omitempty"`
	HeapFresh       int64   `json:"heap_fresh,omitempty"`
	HeapBase        int64   `json:"heap_base,omitempty"`
	HeapEnd         int64   `json:"heap_end,omitempty"`
	GoroutinesHalf  int     `json:"goroutines_half,omitempty"` // settled after the first half of the cycles
	HeapHalf        int64   `json:"heap_half,omitempty"`
	HeapPerCycle    float64 `json:"heap_per_cycle,omitempty"` // (HeapEnd - HeapHalf) / cycles of the second half, bytes
	RSSEnd          int64   `json:"rss_end,omitempty"`
	Tolerance       float64 `json:"tolerance,omitempty"`
	SettleMS        int64   `json:"settle_ms,omitempty"` // wait after the churn until the figures came back (or gave up)
	ChurnPass       *bool   `json:"churn_pass,omitempty"`

	// Noise: CPU of the load processes and of everything else on the
	// machine (busy time not spent in the server or the loaders) over the
	// measured phase.
	WindowMS     int64   `json:"window_ms"`
	ClientCPUPct float64 `json:"client_cpu_pct"`
	ClientRSS    int64   `json:"client_rss"`
	OtherCPUPct  float64 `json:"other_cpu_pct"`
	MachineCPUs  int     `json:"machine_cpus"`

	Error string `json:"error,omitempty"`
}

// meta is the first line of a JSON-lines file.
type meta struct {
	Kind     string         `json:"kind"` // "meta"
	Date     string         `json:"date"`
	Command  string         `json:"command"`
	Go       string         `json:"go"`
	Node     string         `json:"node,omitempty"`
	CPUs     int            `json:"cpus"`
	Kernel   string         `json:"kernel,omitempty"`
	MemTotal int64          `json:"mem_total,omitempty"`
	Commit   string         `json:"commit,omitempty"`
	Settings map[string]any `json:"settings"`
}

// jsonLines writes records as they come. Safe for concurrent use.
type jsonLines struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newJSONLines(w io.Writer) *jsonLines { return &jsonLines{enc: json.NewEncoder(w)} }

func (j *jsonLines) write(v any) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.enc.Encode(v)
}

// round rounds x to d decimals, turning -0 and NaN into 0.
func round(x float64, d int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	p := math.Pow(10, float64(d))
	if r := math.Round(x*p) / p; r != 0 {
		return r
	}
	return 0
}

// perSocketKiB returns (after-before)/n in KiB.
func perSocketKiB(before, after int64, n int) float64 {
	if n <= 0 {
		return 0
	}
	return round(float64(after-before)/float64(n)/1024, 2)
}

// usToMS converts microseconds to milliseconds, rounded to 0.01.
func usToMS(us int64) float64 { return round(float64(us)/1000, 2) }

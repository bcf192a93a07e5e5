package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/siogate/siogate/poller"
)

// latencyBuckets covers a fast in-process handler (1 ms) to a webhook at
// its timeout (10 s).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Label values known in advance, exported at 0 from the start so that
// rate() and alerts see them before the first event.
var (
	rejectionReasons = []string{
		"origin", "draining",
		"token_missing", "token_malformed", "token_invalid", "token_expired",
		"token_not_yet_valid", "token_claims", "token_no_user",
		"webhook_rejected", "webhook_error",
	}
	hookKinds    = []string{"connect", "event", "disconnect"}
	hookOutcomes = []string{"ok", "rejected", "busy", "timeout", "unreachable", "status_5xx", "status_other", "bad_answer", "dropped"}
)

// metrics holds the gateway's own instruments and the registry /metrics
// serves. The hub, Engine.IO and reactor counters are read at scrape time
// by statsCollector; nothing here is labelled by socket, room or user.
type metrics struct {
	reg               *prometheus.Registry
	handshakeRejected *prometheus.CounterVec
	handlerSeconds    *prometheus.HistogramVec
	webhookRequests   *prometheus.CounterVec
	webhookSeconds    *prometheus.HistogramVec
	webhookRetries    prometheus.Counter
	apiRequests       *prometheus.CounterVec
	apiSeconds        *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		handshakeRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siogate_handshake_rejections_total",
			Help: "Connections refused by the gateway, by reason (origin policy, draining, token checks, connect webhook).",
		}, []string{"reason"}),
		handlerSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "siogate_handler_duration_seconds",
			Help:    "Time the gateway's socket handlers took (auth, webhook calls included), by kind.",
			Buckets: latencyBuckets,
		}, []string{"kind"}),
		webhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siogate_webhook_requests_total",
			Help: "Webhook calls by kind (connect, event, disconnect) and outcome; every outcome but ok and rejected is a failure.",
		}, []string{"kind", "outcome"}),
		webhookSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "siogate_webhook_duration_seconds",
			Help:    "Webhook request latency (from sending the request to reading the answer), by kind.",
			Buckets: latencyBuckets,
		}, []string{"kind"}),
		webhookRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "siogate_webhook_retries_total",
			Help: "Disconnect notifications posted again after a failure.",
		}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "siogate_api_requests_total",
			Help: "HTTP API requests by route pattern and status code.",
		}, []string{"route", "code"}),
		apiSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "siogate_api_request_duration_seconds",
			Help:    "HTTP API request latency by route pattern.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
	}
	for _, r := range rejectionReasons {
		m.handshakeRejected.WithLabelValues(r)
	}
	for _, k := range hookKinds {
		m.webhookSeconds.WithLabelValues(k)
		m.handlerSeconds.WithLabelValues(k)
		for _, o := range hookOutcomes {
			m.webhookRequests.WithLabelValues(k, o)
		}
	}
	m.reg.MustRegister(
		m.handshakeRejected, m.handlerSeconds, m.webhookRequests, m.webhookSeconds,
		m.webhookRetries, m.apiRequests, m.apiSeconds,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) rejected(reason string) { m.handshakeRejected.WithLabelValues(reason).Inc() }

func (m *metrics) handler(kind string, start time.Time) {
	m.handlerSeconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
}

func (m *metrics) webhook(kind, outcome string) {
	m.webhookRequests.WithLabelValues(kind, outcome).Inc()
}

func (m *metrics) webhookLatency(kind string, d time.Duration) {
	m.webhookSeconds.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *metrics) handlerHTTP() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// statsCollector exports the Stats() of the hub, the Engine.IO server and
// the reactor, and the gateway's gauges, read at each scrape.
type statsCollector struct {
	g     *gateway
	descs map[string]*prometheus.Desc
}

type statDef struct {
	name, help string
	labels     []string
}

var statDefs = []statDef{
	{"siogate_connections", "Open Engine.IO connections by transport (an upgrading connection counts as websocket).", []string{"transport"}},
	{"siogate_clients", "Engine.IO connections known to the Socket.IO layer.", nil},
	{"siogate_sockets", "Sockets connected, by namespace.", []string{"namespace"}},
	{"siogate_rooms", "Rooms with at least one member (socket id rooms excluded), by namespace.", []string{"namespace"}},
	{"siogate_events_received_total", "Socket.IO events received from clients.", nil},
	{"siogate_engineio_messages_received_total", "Engine.IO message packets received from clients.", nil},
	{"siogate_broadcasts_total", "Broadcasts sent (every API emit is one).", nil},
	{"siogate_broadcast_deliveries_total", "Sockets of this node that broadcasts were queued for.", nil},
	{"siogate_packets_sent_total", "Socket.IO packets queued to clients (emits, acks, broadcast deliveries).", nil},
	{"siogate_workers_busy", "Handler pool workers running now.", nil},
	{"siogate_workers_limit", "Handler pool workers allowed at once now (raised while handlers block).", nil},
	{"siogate_workers_grows_total", "Times blocked handlers raised the worker limit.", nil},
	{"siogate_bytes_received_total", "Bytes read by the reactor (WebSocket and HTTP).", nil},
	{"siogate_bytes_sent_total", "Bytes written by the reactor's WebSocket write path.", nil},
	{"siogate_queued_bytes", "Bytes queued for WebSocket clients and not yet taken by the kernel.", nil},
	{"siogate_backlogged_sockets", "WebSockets waiting for kernel buffer space.", nil},
	{"siogate_volatile_dropped_total", "Volatile messages dropped for clients that could not take them.", nil},
	{"siogate_slow_consumers_total", "Connections closed because their outbound queue passed -max-queued.", nil},
	{"siogate_limit_hits_total", "Handshakes, events, joins and acks refused, or connections closed, by the limit that tripped (docs/security.md).", []string{"limit"}},
	{"siogate_disconnects_total", "Sockets disconnected, by reason.", []string{"reason"}},
	{"siogate_engineio_closed_total", "Engine.IO connections closed, by reason.", []string{"reason"}},
	{"siogate_engineio_sessions_opened_total", "Engine.IO connections opened.", nil},
	{"siogate_engineio_upgrades_total", "Polling to WebSocket upgrades completed.", nil},
	{"siogate_engineio_rejected_total", "Engine.IO requests refused (bad handshake, unknown sid, origin, transport).", nil},
	{"siogate_payload_too_large_total", "Polling bodies over -max-payload.", nil},
	{"siogate_parse_errors_total", "Connections closed for undecodable Socket.IO packets.", nil},
	{"siogate_mailbox_overflows_total", "Connections closed for sending faster than their handlers ran.", nil},
	{"siogate_connect_rejected_total", "Namespace connections refused (auth, webhook, unknown namespace).", nil},
	{"siogate_connect_timeouts_total", "Connections that joined no namespace within -connect-timeout.", nil},
	{"siogate_handler_panics_total", "Recovered handler panics.", nil},
	{"siogate_tcp_accepted_total", "TCP connections accepted by the reactor.", nil},
	{"siogate_reactor_rejected_total", "Requests refused by the reactor (bad or oversized heads, refused upgrades).", nil},
	{"siogate_handshake_timeouts_total", "Connections that sent no complete request head in time.", nil},
	{"siogate_reactor_direct_requests_total", "HTTP requests (Engine.IO polling) answered on the reactor.", nil},
	{"siogate_reactor_handed_off_total", "Connections handed to net/http (the page, the API, metrics).", nil},
	{"siogate_reactor_body_timeouts_total", "Polling request bodies not received within pingInterval + pingTimeout.", nil},
	{"siogate_websocket_protocol_errors_total", "WebSockets closed for an RFC 6455 violation.", nil},
	{"siogate_webhook_in_flight", "Webhook requests in flight.", nil},
	{"siogate_webhook_slots", "Webhook requests allowed in flight (-webhook-concurrency).", nil},
	{"siogate_webhook_waiting", "Webhook calls waiting for a free slot.", nil},
	{"siogate_webhook_queued_notifications", "Disconnect notifications queued for the backend.", nil},
	{"siogate_draining", "1 while the gateway drains (readyz answers 503).", nil},
	{"siogate_recovery_sessions_saved_total", "Sessions saved for connection state recovery (sockets that lost their connection).", nil},
	{"siogate_recovery_attempts_total", "Reconnections presenting a recovery session, by outcome: recovered, unknown (no such session, or expired), stale (offset no longer stored), error (store failed).", []string{"outcome"}},
	{"siogate_recovery_replayed_total", "Missed packets replayed to recovered sockets.", nil},
	{"siogate_recovery_store_errors_total", "Packets sent without a recovery offset and sessions not saved because the store failed.", nil},
}

func newStatsCollector(g *gateway) *statsCollector {
	c := &statsCollector{g: g, descs: make(map[string]*prometheus.Desc, len(statDefs))}
	for _, d := range statDefs {
		c.descs[d.name] = prometheus.NewDesc(d.name, d.help, d.labels, nil)
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector. It runs on the scrape's
// goroutine; the reactor scan for queued bytes costs O(WebSockets).
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.g
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, v, labels...)
	}
	counter := func(name string, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.CounterValue, float64(v), labels...)
	}

	hs := g.srv.Stats()
	es := g.srv.Engine().Stats()
	var ps poller.Stats
	queued := 0
	if g.reactor != nil {
		ps = g.reactor.Stats()
		g.reactor.Range(func(conn *poller.Conn) bool {
			queued += conn.QueuedBytes()
			return true
		})
	}

	gauge("siogate_connections", float64(ps.WebSockets), "websocket")
	gauge("siogate_connections", float64(max(0, es.Sessions-ps.WebSockets)), "polling")
	gauge("siogate_clients", float64(hs.Clients))
	for _, name := range g.cfg.namespaces {
		n := g.nsps[name]
		gauge("siogate_sockets", float64(n.Len()), name)
		gauge("siogate_rooms", float64(len(n.Adapter().Rooms())), name)
	}
	counter("siogate_events_received_total", hs.EventsIn)
	counter("siogate_engineio_messages_received_total", es.MessagesIn)
	counter("siogate_broadcasts_total", hs.Broadcasts)
	counter("siogate_broadcast_deliveries_total", hs.Deliveries)
	counter("siogate_packets_sent_total", hs.PacketsOut)
	gauge("siogate_workers_busy", float64(hs.WorkersBusy))
	gauge("siogate_workers_limit", float64(hs.WorkersLimit))
	counter("siogate_workers_grows_total", hs.WorkersGrows)
	counter("siogate_bytes_received_total", ps.BytesIn)
	counter("siogate_bytes_sent_total", ps.BytesOut)
	gauge("siogate_queued_bytes", float64(queued))
	gauge("siogate_backlogged_sockets", float64(ps.Backlogged))
	counter("siogate_volatile_dropped_total", es.DroppedVolatile)
	counter("siogate_slow_consumers_total", hs.SlowConsumers)
	for l, v := range hs.Limited {
		counter("siogate_limit_hits_total", v, string(l))
	}
	for l, v := range es.Limited {
		counter("siogate_limit_hits_total", v, string(l))
	}
	for r, v := range hs.Disconnects {
		counter("siogate_disconnects_total", v, reasonLabel(string(r)))
	}
	for r, v := range es.ClosedByReason {
		counter("siogate_engineio_closed_total", v, reasonLabel(string(r)))
	}
	counter("siogate_engineio_sessions_opened_total", es.Opened)
	counter("siogate_engineio_upgrades_total", es.Upgrades)
	counter("siogate_engineio_rejected_total", es.Rejected)
	counter("siogate_payload_too_large_total", es.PayloadTooLarge)
	counter("siogate_parse_errors_total", hs.ParseErrors)
	counter("siogate_mailbox_overflows_total", hs.MailboxOverflows)
	counter("siogate_connect_rejected_total", hs.ConnectRejects)
	counter("siogate_connect_timeouts_total", hs.ConnectTimeouts)
	counter("siogate_handler_panics_total", hs.HandlerPanics)
	counter("siogate_tcp_accepted_total", ps.Accepted)
	counter("siogate_reactor_rejected_total", ps.Rejected)
	counter("siogate_handshake_timeouts_total", ps.HandshakeTimeouts)
	counter("siogate_reactor_direct_requests_total", ps.Direct)
	counter("siogate_reactor_handed_off_total", ps.HandedOff)
	counter("siogate_reactor_body_timeouts_total", ps.BodyTimeouts)
	counter("siogate_websocket_protocol_errors_total", ps.ProtocolErrors)

	var inFlight, waiting, queuedNotes, slots int64
	if w := g.hooks; w != nil {
		inFlight, waiting = w.inFlight.Load(), w.waiting.Load()
		queuedNotes, slots = int64(len(w.notes)), int64(cap(w.slots))
	}
	gauge("siogate_webhook_in_flight", float64(inFlight))
	gauge("siogate_webhook_slots", float64(slots))
	gauge("siogate_webhook_waiting", float64(waiting))
	gauge("siogate_webhook_queued_notifications", float64(queuedNotes))
	draining := 0.0
	if g.draining.Load() {
		draining = 1
	}
	gauge("siogate_draining", draining)
	rs := hs.Recovery // docs/recovery.md
	counter("siogate_recovery_sessions_saved_total", rs.Saved)
	counter("siogate_recovery_attempts_total", rs.Recovered, "recovered")
	counter("siogate_recovery_attempts_total", rs.Unknown, "unknown")
	counter("siogate_recovery_attempts_total", rs.Stale, "stale")
	counter("siogate_recovery_attempts_total", rs.Errors, "error")
	counter("siogate_recovery_replayed_total", rs.Replayed)
	counter("siogate_recovery_store_errors_total", rs.AppendErrors+rs.SaveErrors)
}

// reasonLabel turns a Socket.IO reason ("transport close") into a label
// value ("transport_close").
func reasonLabel(r string) string { return strings.ReplaceAll(r, " ", "_") }

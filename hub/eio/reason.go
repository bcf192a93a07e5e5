package eio

// Reason says why a session closed, with Engine.IO's reason strings (the
// same the Node server reports).
type Reason string

// Close reasons.
const (
	ReasonTransportClose Reason = "transport close"      // the client closed the transport
	ReasonTransportError Reason = "transport error"      // protocol error, write error, overflow
	ReasonPingTimeout    Reason = "ping timeout"         // no pong within PingTimeout
	ReasonParseError     Reason = "parse error"          // a packet that does not decode
	ReasonForcedClose    Reason = "forced close"         // server code closed the session
	ReasonShutdown       Reason = "server shutting down" // Server.Shutdown
)

package hub

// Reason says why a socket left its namespace. The strings are those the
// Node server reports in its "disconnect" event.
type Reason string

// Disconnect reasons.
const (
	ReasonTransportClose   Reason = "transport close"             // the client closed the connection
	ReasonTransportError   Reason = "transport error"             // protocol or I/O error
	ReasonPingTimeout      Reason = "ping timeout"                // heartbeat lost
	ReasonParseError       Reason = "parse error"                 // undecodable packet
	ReasonForcedClose      Reason = "forced close"                // Engine.IO session closed by the server
	ReasonShutdown         Reason = "server shutting down"        // Server.Shutdown
	ReasonClientDisconnect Reason = "client namespace disconnect" // the client left the namespace
	ReasonServerDisconnect Reason = "server namespace disconnect" // Socket.Disconnect(false)
	ReasonForcedServer     Reason = "forced server close"         // Socket.Disconnect(true)
	ReasonSlowConsumer     Reason = "slow consumer"               // outbound queue limit hit
	ReasonRateLimited      Reason = "rate limited"                // over Options.EventRate with RateDisconnect
)

// Package wsload opens many raw WebSocket client connections and holds them
// idle, to measure what a server pays per open socket.
//
// The handshake is written by hand over a plain net.Conn: a GET with a random
// Sec-WebSocket-Key, the response head read up to the blank line, the status
// and Sec-WebSocket-Accept checked. After the upgrade a connection keeps only
// its net.Conn: no goroutine and no buffer per connection, so the load
// generator itself stays small and the server's cost dominates.
//
// Connections are spread round-robin over a list of local source addresses
// (127.0.0.2, 127.0.0.3, ...), which multiplies the ephemeral ports available
// towards one server address.
//
//	ctx, cancel := context.WithTimeout(ctx, time.Minute) // bounds the dialing
//	defer cancel()
//	p, res, err := wsload.Dial(ctx, wsload.Options{
//		Addr:    "127.0.0.1:8081",
//		N:       5000,
//		Sources: []netip.Addr{netip.MustParseAddr("127.0.0.2")},
//	})
//	if err != nil {
//		return err
//	}
//	defer p.Close()
//	fmt.Println(res.Connected, res.Failed)
package wsload

package wsframe_test

import (
	"errors"
	"fmt"

	"github.com/gobwas/ws"

	"github.com/siogate/siogate/wsframe"
)

// clientBytes is what a browser might send: masked frames, back to back.
func clientBytes() []byte {
	mask := [4]byte{0xa1, 0xb2, 0xc3, 0xd4}
	var b []byte
	for _, f := range []ws.Frame{
		ws.NewFrame(ws.OpText, false, []byte("hello, ")),
		ws.NewPingFrame([]byte("are you there?")),
		ws.NewFrame(ws.OpContinuation, true, []byte("world")),
		ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "done")),
	} {
		b = append(b, ws.MustCompileFrame(ws.MaskFrameWith(f, mask))...)
	}
	return b
}

// A reactor's read handler: parse what has arrived, answer control frames,
// keep the incomplete rest for later.
func Example() {
	var r wsframe.Reader
	r.MaxMessageSize = 1 << 20

	buf := clientBytes()
	var out []byte // frames to write back
	for {
		ev, n, err := r.Next(buf)
		if err != nil {
			var ce *wsframe.CloseError
			errors.As(err, &ce)
			out = append(out, wsframe.CloseFrameFor(ce.Code)...)
			break
		}
		if n == 0 {
			break // keep buf, call again when more bytes arrive
		}
		buf = buf[n:]
		switch ev.Kind {
		case wsframe.KindMessage:
			fmt.Printf("message %q\n", ev.Payload)
		case wsframe.KindPing:
			fmt.Printf("ping %q\n", ev.Payload)
			out = wsframe.AppendFrame(out, ws.OpPong, ev.Payload)
		case wsframe.KindClose:
			fmt.Printf("close %d %q\n", ev.Code, ev.Payload)
			out = wsframe.AppendClose(out, ev.Code, "")
		}
	}
	fmt.Printf("left %d bytes, reply % x\n", len(buf), out)
	// Output:
	// ping "are you there?"
	// message "hello, world"
	// close 1000 "done"
	// left 0 bytes, reply 8a 0e 61 72 65 20 79 6f 75 20 74 68 65 72 65 3f 88 02 03 e8
}

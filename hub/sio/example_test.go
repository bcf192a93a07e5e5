package sio_test

import (
	"fmt"

	"github.com/siogate/siogate/hub/sio"
)

// Echo an event with an ack id back as the ack, keeping the arguments'
// bytes.
func Example() {
	p, err := sio.Decode([]byte(`2/chat,7["say",{"room":"a","n":1.50}]`), 10)
	if err != nil {
		fmt.Println(err) // close the connection
		return
	}
	name, args, err := sio.SplitEvent(p.Data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Type, p.Namespace, p.ID, name)

	var buf []byte
	buf = sio.AppendAck(buf[:0], p.Namespace, p.ID, 0, args...)
	fmt.Println(string(buf))
	// Output:
	// EVENT /chat 7 say
	// 3/chat,7[{"room":"a","n":1.50}]
}

func ExampleAssembler() {
	var a sio.Assembler
	_, _, done, _ := a.AddText([]byte(`51-["file",{"_placeholder":true,"num":0}]`), 10)
	fmt.Println(done, a.Pending())
	p, atts, done, _ := a.AddBinary([]byte{1, 2, 3})
	fmt.Println(done, p.Type, atts)
	// Output:
	// false 1
	// true BINARY_EVENT [[1 2 3]]
}

func ExampleDecode_error() {
	_, err := sio.Decode([]byte(`2["disconnect"]`), 10)
	fmt.Println(err)
	// Output: sio: reserved event name at offset 2
}

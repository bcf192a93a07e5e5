package wsload

// echoPayload is the text sent once per connection when Options.Echo is set.
// It must not start with 'b': the reference servers broadcast such messages.
const echoPayload = "echo"

// appendMaskedText appends a final, masked text frame carrying payload
// (at most 125 bytes) to b, as a client must send it.
func appendMaskedText(b []byte, payload string, mask [4]byte) []byte {
	b = append(b, 0x81, 0x80|byte(len(payload)))
	b = append(b, mask[:]...)
	for i := 0; i < len(payload); i++ {
		b = append(b, payload[i]^mask[i%4])
	}
	return b
}

// appendText appends a final, unmasked text frame carrying payload (at most
// 125 bytes), as a server sends it: the exact bytes an echo must return.
func appendText(b []byte, payload string) []byte {
	b = append(b, 0x81, byte(len(payload)))
	return append(b, payload...)
}

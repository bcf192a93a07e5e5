package sio

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

var benchPackets = []struct{ name, in string }{
	{"event-small", `2["message",1,"2",{"3":[true]}]`},
	{"event-ack", `2456["message-with-ack",1,"2",{"3":[false]}]`},
	{"event-nsp", `2/custom,["auth",{"token":"abc"}]`},
	{"binary", `52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
	{"event-1k", `2["chat",` + chatMessages(1<<10) + `]`},
	{"event-64k", `2["chat",` + chatMessages(64<<10) + `]`},
}

// chatMessages returns a JSON array of chat objects about n bytes long.
func chatMessages(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":` + strconv.Itoa(i) + `,"from":"user-` + strconv.Itoa(i%7) +
			`","text":"héllo, wörld \"quoted\" \u2603","ts":1712345678.25,"tags":["a","b"],"seen":false}`)
	}
	b.WriteByte(']')
	return b.String()
}

func BenchmarkDecode(b *testing.B) {
	for _, bp := range benchPackets {
		in := []byte(bp.in)
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Decode(in, 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate compares the package's JSON validation with
// encoding/json's on the payloads of benchPackets.
func BenchmarkValidate(b *testing.B) {
	for _, bp := range benchPackets {
		data := []byte(bp.in[strings.IndexByte(bp.in, '['):])
		b.Run(bp.name+"/sio", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				s := scanner{b: data}
				if s.document(0) < 0 {
					b.Fatal(s.err)
				}
			}
		})
		b.Run(bp.name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if !json.Valid(data) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func BenchmarkSplitEvent(b *testing.B) {
	data := []byte(`["message",1,"2",{"3":[true]}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := SplitEvent(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEventName(b *testing.B) {
	data := []byte(`["message",1,"2",{"3":[true]}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EventName(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	dst := make([]byte, 0, 128)
	a1, a2, a3 := []byte(`1`), []byte(`"2"`), []byte(`{"3":[true]}`)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendEvent(dst[:0], "/custom", 12, 0, "message-back", a1, a2, a3)
	}
}

func BenchmarkAppendAck(b *testing.B) {
	dst := make([]byte, 0, 128)
	a1, a2, a3 := []byte(`1`), []byte(`"2"`), []byte(`{"3":[false]}`)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendAck(dst[:0], "/", 456, 0, a1, a2, a3)
	}
}

func BenchmarkAssemblerBinary(b *testing.B) {
	hdr := []byte(`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	att0, att1 := []byte{1, 2, 3}, []byte{4, 5, 6}
	var a Assembler
	b.ReportAllocs()
	for b.Loop() {
		a.AddText(hdr, 10)
		a.AddBinary(att0)
		if _, _, done, err := a.AddBinary(att1); !done || err != nil {
			b.Fatal(done, err)
		}
	}
}

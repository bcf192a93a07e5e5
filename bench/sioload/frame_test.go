package sioload

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseFrame(t *testing.T) {
	long := bytes.Repeat([]byte("a"), 300)
	huge := bytes.Repeat([]byte("z"), 70000)
	for _, tc := range []struct {
		name    string
		in      []byte
		wantN   int
		wantOp  byte
		wantFin bool
		payload []byte
		err     error
	}{
		{"empty", nil, 0, 0, false, nil, nil},
		{"short header", []byte{0x81}, 0, 0, false, nil, nil},
		{"text", []byte("\x81\x0240"), 4, opText, true, []byte("40"), nil},
		{"text and more", []byte("\x81\x0240\x81"), 4, opText, true, []byte("40"), nil},
		{"partial payload", []byte("\x81\x05ab"), 0, 0, false, nil, nil},
		{"16-bit length", append([]byte{0x81, 126, 0x01, 0x2c}, long...), 304, opText, true, long, nil},
		{"16-bit length partial", []byte{0x81, 126, 0x01}, 0, 0, false, nil, nil},
		{"64-bit length", append([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70}, huge...), 70010, opBinary, true, huge, nil},
		{"fragment", []byte("\x01\x01a"), 3, opText, false, []byte("a"), nil},
		{"ping", []byte("\x89\x00"), 2, opPing, true, []byte{}, nil},
		{"masked", []byte("\x81\x82abcd"), 0, 0, false, nil, ErrProtocol},
		{"reserved", []byte("\xc1\x00"), 0, 0, false, nil, ErrProtocol},
		{"long control", append([]byte{0x89, 126, 0, 200}, long[:200]...), 0, 0, false, nil, ErrProtocol},
		{"fragmented control", []byte("\x09\x00"), 0, 0, false, nil, ErrProtocol},
		{"too large", []byte{0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0}, 0, 0, false, nil, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, n, err := parseFrame(tc.in, 1<<20)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if n != tc.wantN {
				t.Fatalf("n = %d, want %d", n, tc.wantN)
			}
			if n > 0 && (f.op != tc.wantOp || f.fin != tc.wantFin || !bytes.Equal(f.payload, tc.payload)) {
				t.Fatalf("frame %+v", f)
			}
		})
	}
}

func TestAppendMasked(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	for _, size := range []int{0, 5, 125, 126, 1000, 65535, 65536, 100000} {
		p := bytes.Repeat([]byte{'q'}, size)
		f := appendMasked([]byte("prefix"), opText, p, key)[len("prefix"):]
		if f[0] != 0x81 || f[1]&0x80 == 0 {
			t.Fatalf("size %d: header % x", size, f[:2])
		}
		// Unmask and parse it as a server frame: same payload back.
		f[1] &^= 0x80
		hdr := len(f) - size - 4
		got := append([]byte(nil), f[hdr+4:]...)
		mask(got, key)
		if !bytes.Equal(got, p) {
			t.Fatalf("size %d: payload not masked with the key", size)
		}
		plain := append(append([]byte(nil), f[:hdr]...), got...)
		fr, n, err := parseFrame(plain, 1<<20)
		if err != nil || n != len(plain) || !bytes.Equal(fr.payload, p) {
			t.Fatalf("size %d: reparse n=%d err=%v", size, n, err)
		}
	}
}

func TestMask(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := range 20 {
		p := bytes.Repeat([]byte{0xff}, n)
		mask(p, key)
		for i, b := range p {
			if b != 0xff^key[i%4] {
				t.Fatalf("n=%d: byte %d = %#x", n, i, b)
			}
		}
	}
}

package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// addWireSeeds adds the packets of the testdata wire files to f's corpus,
// or with payloads set only what looks like their JSON payload.
func addWireSeeds(f *testing.F, payloads bool) {
	for _, file := range []string{"packets.txt", "invalid.txt"} {
		for _, c := range readWires(f, file) {
			p := c.packet()
			if payloads {
				i := bytes.IndexAny(p, `[{"`)
				if i < 0 {
					continue
				}
				p = p[i:]
			}
			f.Add(p)
		}
	}
}

func FuzzDecodePacket(f *testing.F) {
	addWireSeeds(f, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b, 10)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("Decode(%q): bad error %#v", b, err)
			}
			return
		}
		if !utf8.Valid(b) {
			t.Fatalf("Decode(%q) accepted invalid UTF-8", b)
		}
		if p.Namespace == "" || p.Namespace[0] != '/' || strings.ContainsRune(p.Namespace, ',') {
			t.Fatalf("Decode(%q): namespace %q", b, p.Namespace)
		}
		if len(p.Data) > 0 && !json.Valid(p.Data) {
			t.Fatalf("Decode(%q): Data %q is not JSON for encoding/json", b, p.Data)
		}
		if p.ID < NoID || p.ID > MaxAckID || p.Attachments < 0 || p.Attachments > 10 {
			t.Fatalf("Decode(%q) = %+v", b, p)
		}

		enc := AppendPacket(nil, p)
		q, err := Decode(enc, 10)
		if err != nil || !samePacket(p, q) {
			t.Fatalf("Decode(%q) = %+v; re-encoded %q decodes to %+v, %v", b, p, enc, q, err)
		}
		if again := AppendPacket(nil, q); !bytes.Equal(again, enc) {
			t.Fatalf("encoding not stable: %q then %q", enc, again)
		}

		if p.Type.IsBinary() {
			nums, err := CountPlaceholders(p.Data)
			if err != nil {
				t.Fatalf("CountPlaceholders(%q): %v", p.Data, err)
			}
			for _, n := range nums {
				if n >= p.Attachments {
					t.Fatalf("Decode(%q): placeholder %d of %d attachments", b, n, p.Attachments)
				}
			}
		}
		switch p.Type {
		case Event, BinaryEvent:
			name, args, err := SplitEvent(p.Data)
			if err != nil {
				t.Fatalf("SplitEvent(%q): %v", p.Data, err)
			}
			if n, err := EventName(p.Data); n != name || err != nil {
				t.Fatalf("EventName(%q) = %q, %v; SplitEvent %q", p.Data, n, err, name)
			}
			ev := AppendEvent(nil, p.Namespace, p.ID, p.Attachments, name, args...)
			q, err := Decode(ev, 10)
			if err != nil {
				t.Fatalf("AppendEvent of %+v = %q: %v", p, ev, err)
			}
			name2, args2, _ := SplitEvent(q.Data)
			if name2 != name || len(args2) != len(args) || q.ID != p.ID || q.Namespace != p.Namespace {
				t.Fatalf("AppendEvent of %+v = %q decodes differently", p, ev)
			}
		case Ack, BinaryAck:
			args, err := SplitArray(p.Data)
			if err != nil {
				t.Fatalf("SplitArray(%q): %v", p.Data, err)
			}
			ack := AppendAck(nil, p.Namespace, p.ID, p.Attachments, args...)
			if q, err := Decode(ack, 10); err != nil || q.ID != p.ID || q.Namespace != p.Namespace {
				t.Fatalf("AppendAck of %+v = %q: %+v, %v", p, ack, q, err)
			}
		}
	})
}

// FuzzSplitEvent checks SplitEvent, and through it the JSON scanner, against
// encoding/json: the same documents are valid (ours also wants UTF-8), the
// same elements come out, and the name decodes to the same string.
func FuzzSplitEvent(f *testing.F) {
	addWireSeeds(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := scanner{b: data}
		ours := s.document(0) >= 0
		theirs := json.Valid(data) && utf8.Valid(data)
		if ours != theirs {
			t.Fatalf("%q: valid %v, encoding/json %v (%v)", data, ours, theirs, s.err)
		}
		if _, err := CountPlaceholders(data); err == nil && !ours {
			t.Fatalf("CountPlaceholders accepted invalid %q", data)
		}

		name, args, err := SplitEvent(data)
		var all []json.RawMessage
		jerr := json.Unmarshal(data, &all)
		if err != nil {
			if jerr == nil && utf8.Valid(data) && len(all) > 0 && all[0][0] == '"' {
				t.Fatalf("SplitEvent(%q): %v; encoding/json splits it", data, err)
			}
			return
		}
		if jerr != nil || len(all) != len(args)+1 {
			t.Fatalf("SplitEvent(%q) = %q, %q; encoding/json %q, %v", data, name, args, all, jerr)
		}
		var want string
		if err := json.Unmarshal(all[0], &want); err != nil || want != name {
			t.Fatalf("SplitEvent(%q) name %q; encoding/json %q, %v", data, name, want, err)
		}
		for i, a := range args {
			if !bytes.Equal(a, all[i+1]) {
				t.Fatalf("SplitEvent(%q) arg %d = %q; encoding/json %q", data, i, a, all[i+1])
			}
		}
		if elems, err := SplitArray(data); err != nil || len(elems) != len(all) {
			t.Fatalf("SplitArray(%q) = %q, %v", data, elems, err)
		}
	})
}

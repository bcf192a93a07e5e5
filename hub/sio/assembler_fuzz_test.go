package sio

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzAssembler feeds a connection's worth of messages to an Assembler: the
// input is split at NUL bytes, and a part starting with 'b' is a binary
// message (the rest of the part), any other part a text message. Whatever
// arrives, the Assembler must agree with a plain model of the protocol: a
// binary packet completes with exactly the attachments that followed it, in
// order; a stray binary message or a text message while attachments are
// awaited is an error that drops the pending packet; nothing is ever
// awaited beyond maxAttachments.
func FuzzAssembler(f *testing.F) {
	for _, s := range []string{
		"2[\"a\"]",
		"51-[\"up\",{\"_placeholder\":true,\"num\":0}]\x00b\x01\x02",
		"52-/chat,7[\"up\",{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]\x00bA\x00bB\x002[\"next\"]",
		"61-3[{\"_placeholder\":true,\"num\":0}]\x00b",
		"bstray",
		"51-[\"up\",{\"_placeholder\":true,\"num\":0}]\x002[\"text while pending\"]\x00b\x00",
		"511-[\"too many\"]",
		"50-[\"zero\"]",
	} {
		f.Add([]byte(s))
	}
	const maxAtt = 10
	f.Fuzz(func(t *testing.T, in []byte) {
		var a Assembler
		var (
			waiting bool
			want    int
			got     [][]byte
		)
		for _, part := range bytes.Split(in, []byte{0}) {
			binary := len(part) > 0 && part[0] == 'b'
			var (
				p    Packet
				atts [][]byte
				done bool
				err  error
			)
			if binary {
				msg := append([]byte(nil), part[1:]...)
				p, atts, done, err = a.AddBinary(msg)
				switch {
				case !waiting:
					if !errors.Is(err, ErrUnexpectedBinary) {
						t.Fatalf("stray binary: %v", err)
					}
				default:
					got = append(got, msg)
					if len(got) == want {
						if !done || err != nil || len(atts) != want || p.Attachments != want {
							t.Fatalf("last attachment: done %v, %d atts, packet %+v, %v", done, len(atts), p, err)
						}
						for i := range atts {
							if !bytes.Equal(atts[i], got[i]) {
								t.Fatalf("attachment %d: %q, want %q", i, atts[i], got[i])
							}
						}
						waiting, got = false, nil
					} else if done || err != nil {
						t.Fatalf("attachment %d of %d: done %v, %v", len(got), want, done, err)
					}
				}
			} else {
				p, atts, done, err = a.AddText(part, maxAtt)
				dp, derr := Decode(part, maxAtt)
				switch {
				case waiting:
					if !errors.Is(err, ErrAttachmentsPending) {
						t.Fatalf("text while %d attachments pending: %v", want-len(got), err)
					}
					waiting, got = false, nil
				case derr != nil:
					if err == nil || done {
						t.Fatalf("Decode fails (%v) but AddText: done %v, %v", derr, done, err)
					}
				case dp.Attachments == 0:
					if !done || err != nil || atts != nil || !samePacket(p, dp) {
						t.Fatalf("complete packet: done %v, %v, %+v", done, err, p)
					}
				default:
					if done || err != nil {
						t.Fatalf("binary packet header: done %v, %v", done, err)
					}
					waiting, want, got = true, dp.Attachments, nil
				}
			}
			pending := 0
			if waiting {
				pending = want - len(got)
			}
			if a.Pending() != pending || pending > maxAtt {
				t.Fatalf("Pending %d, model %d", a.Pending(), pending)
			}
		}
	})
}

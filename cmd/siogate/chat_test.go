package main

import (
	"io"
	"strings"
	"testing"
)

func TestChatConfig(t *testing.T) {
	c, err := parseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.chat || c.chatHistory != 50 {
		t.Errorf("defaults: chat %v, history %d; want on, 50", c.chat, c.chatHistory)
	}
	t.Setenv("SIOGATE_CHAT_HISTORY", "7")
	c, err = parseConfig([]string{"-chat=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.chat || c.chatHistory != 7 {
		t.Errorf("-chat=false, SIOGATE_CHAT_HISTORY=7: chat %v, history %d", c.chat, c.chatHistory)
	}
	if _, err := parseConfig([]string{"-chat-history", "-1"}, io.Discard); err == nil || !strings.Contains(err.Error(), "-chat-history") {
		t.Errorf("-chat-history -1: %v", err)
	}
}

func TestChatMaxAttachment(t *testing.T) {
	for _, tc := range []struct {
		payload, queued, want int
	}{
		{1000000, 1 << 20, 512 << 10},          // the defaults: half the queue
		{100000, 1 << 20, 100000*3/4 - 16<<10}, // base64 in a polling body
		{10 << 20, 64 << 20, 10<<20*3/4 - 16<<10},
	} {
		got, err := chatMaxAttachment(config{maxPayload: tc.payload, maxQueued: tc.queued})
		if err != nil || got != tc.want {
			t.Errorf("payload %d, queued %d: %d %v, want %d", tc.payload, tc.queued, got, err, tc.want)
		}
	}
	if _, err := chatMaxAttachment(config{maxPayload: 20000, maxQueued: 1 << 20}); err == nil || !strings.Contains(err.Error(), "-chat=false") {
		t.Errorf("tiny -max-payload: %v, want an error", err)
	}
}

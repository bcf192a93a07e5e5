package main

import (
	"fmt"
	"slices"

	"github.com/siogate/siogate/cmd/siogate/chat"
	"github.com/siogate/siogate/hub"
)

// chatNamespace is the namespace of the chat app (cmd/siogate/chat); the
// gateway's own namespaces (-namespaces) stay for API users.
const chatNamespace = "/chat"

// setupChat mounts the chat on its namespace, behind the gateway's JWT
// check. Without the client bundle (no `make chat-assets` before the
// build) the gateway still runs: one warning now, 503 at / later.
func (g *gateway) setupChat() error {
	if slices.Contains(g.cfg.namespaces, chatNamespace) {
		return fmt.Errorf("-namespaces: %s is the chat's namespace; pick another name or turn the chat off with -chat=false", chatNamespace)
	}
	maxAtt, err := chatMaxAttachment(g.cfg)
	if err != nil {
		return err
	}
	history := g.cfg.chatHistory
	if history == 0 {
		history = -1 // chat.Options: negative is none, 0 the default
	}
	c, err := chat.New(chat.Options{
		History:       history,
		HistoryBytes:  max(chat.DefaultHistoryBytes, 4*maxAtt),
		MaxAttachment: maxAtt,
		User:          socketUser,
		Logger:        g.logger,
	})
	if err != nil {
		return err
	}
	n := g.srv.Of(chatNamespace)
	n.Use(g.chatAuth)
	c.Mount(n)
	g.chat = c
	if err := chat.CheckAssets(); err != nil {
		g.logger.Warn("chat page unavailable: / answers 503 until the gateway is built after `make chat-assets`", "err", err)
	}
	return nil
}

// chatMaxAttachment is the largest chat attachment the gateway's limits
// let through on both transports: long-polling carries binary data as
// base64 (4/3 of its size) in a body of at most -max-payload, beside the
// message's JSON; and one attachment may fill at most half of a
// receiver's -max-queued, so that two in a row do not cut it as a slow
// consumer.
func chatMaxAttachment(cfg config) (int, error) {
	const jsonRoom = 16 << 10
	n := min(cfg.maxPayload*3/4-jsonRoom, cfg.maxQueued/2)
	if n < 1<<10 {
		return 0, fmt.Errorf("-max-payload %d and -max-queued %d leave no room for chat attachments (the chat needs -max-payload over %d and -max-queued over %d); raise them or turn the chat off with -chat=false",
			cfg.maxPayload, cfg.maxQueued, (jsonRoom+1<<10)*4/3, 2<<10)
	}
	return n, nil
}

// chatAuth is the chat namespace's middleware: the gateway's JWT check
// (without the connect webhook: chat traffic is not posted to the
// backend). A signed-in socket joins its user:<id> room, and the chat
// names it by that id (chat.Options.User).
func (g *gateway) chatAuth(s *hub.Socket, auth hub.Raw) error {
	user, aerr := g.auth.authenticate(auth)
	if aerr != nil {
		g.metrics.rejected(aerr.code)
		g.logger.Debug("connection refused", "sid", s.ID(), "nsp", s.Namespace().Name(), "reason", aerr.code)
		return aerr.connectError()
	}
	if user != "" {
		s.Set(userKey, user)
		s.Join(userRoom(user))
	}
	return nil
}

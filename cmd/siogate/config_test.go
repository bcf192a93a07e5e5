package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != ":3000" || c.path != "/socket.io/" || len(c.namespaces) != 1 || c.namespaces[0] != "/" {
		t.Errorf("defaults: %+v", c)
	}
	if c.allowedOrigins != nil || c.authEnabled() || c.apiKeys != nil || c.webhookURL != "" {
		t.Errorf("defaults must be same-host origins, no auth, no API, no webhooks: %+v", c)
	}
	if c.drainSpread != 5*time.Second || c.shutdownTimeout != 25*time.Second {
		t.Errorf("drain defaults: %s %s", c.drainSpread, c.shutdownTimeout)
	}
}

func TestConfigEnvAndFlags(t *testing.T) {
	t.Setenv("SIOGATE_ADDR", "127.0.0.1:4000")
	t.Setenv("SIOGATE_PING_INTERVAL", "3s")
	t.Setenv("SIOGATE_API_KEY", "a, b ,")
	t.Setenv("SIOGATE_ALLOW_ANONYMOUS", "true")
	t.Setenv("SIOGATE_NAMESPACES", "/, chat")
	c, err := parseConfig([]string{"-addr", "127.0.0.1:5000", "-webhook-events", "connect,say"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:5000" {
		t.Errorf("the flag must win over the environment: %s", c.addr)
	}
	if c.pingInterval != 3*time.Second || !c.allowAnonymous {
		t.Errorf("environment not applied: %s %v", c.pingInterval, c.allowAnonymous)
	}
	if strings.Join(c.apiKeys, "|") != "a|b" || strings.Join(c.namespaces, "|") != "/|/chat" || strings.Join(c.webhookEvents, "|") != "connect|say" {
		t.Errorf("lists: %q %q %q", c.apiKeys, c.namespaces, c.webhookEvents)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad env duration", map[string]string{"SIOGATE_PING_TIMEOUT": "soon"}, nil, "SIOGATE_PING_TIMEOUT"},
		{"bad env int", map[string]string{"SIOGATE_MAX_PAYLOAD": "big"}, nil, "SIOGATE_MAX_PAYLOAD"},
		{"bad env bool", map[string]string{"SIOGATE_ALLOW_ANONYMOUS": "maybe"}, nil, "SIOGATE_ALLOW_ANONYMOUS"},
		{"unknown flag", nil, []string{"-nope"}, "flag provided but not defined"},
		{"argument", nil, []string{"serve"}, "unexpected arguments"},
		{"log level", nil, []string{"-log-level", "loud"}, "-log-level"},
		{"log format", nil, []string{"-log-format", "xml"}, "-log-format"},
		{"origin", nil, []string{"-allowed-origins", "example.com"}, "not an origin"},
		{"origin path", nil, []string{"-allowed-origins", "https://example.com/app"}, "not an origin"},
		{"webhook url", nil, []string{"-webhook-url", "ftp://backend"}, "-webhook-url"},
		{"negative", nil, []string{"-webhook-retries", "-1"}, "-webhook-retries"},
		{"zero timeout", nil, []string{"-shutdown-timeout", "0s"}, "-shutdown-timeout"},
		{"no namespace", nil, []string{"-namespaces", " , "}, "-namespaces"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := parseConfig(tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestConfigHelp(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	// Every flag line is followed by its usage, which names its variable.
	fs := strings.Split(out.String(), "\n  -")
	for _, f := range fs[1:] {
		name := strings.Fields(f)[0]
		if !strings.Contains(f, "(env "+envName(name)+")") {
			t.Errorf("-%s does not name %s", name, envName(name))
		}
	}
	if len(fs) < 30 {
		t.Errorf("only %d flags documented", len(fs)-1)
	}
}

func TestConfigDrainSpreadCapped(t *testing.T) {
	c, err := parseConfig([]string{"-shutdown-timeout", "4s", "-drain-spread", "10s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.drainSpread != 2*time.Second {
		t.Errorf("drain spread %s, want half of the shutdown timeout", c.drainSpread)
	}
}

package sio

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// wireCase is one line of a testdata wire file.
type wireCase struct {
	name        string
	frame       string // the Engine.IO text frame, with its leading "4"
	conformance bool
}

// packet returns the Socket.IO packet inside the frame.
func (c wireCase) packet() []byte { return []byte(c.frame[1:]) }

// readWires reads a wire file of testdata: lines "<name> <Go string literal>
// [conformance]", blank lines and # comments.
func readWires(t testing.TB, file string) []wireCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []wireCase
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		lit, err := strconv.QuotedPrefix(rest)
		if err != nil {
			t.Fatalf("%s:%d: %v", file, n, err)
		}
		frame, _ := strconv.Unquote(lit)
		tag := strings.TrimSpace(rest[len(lit):])
		if tag != "" && tag != "conformance" || !strings.HasPrefix(frame, "4") || seen[name] {
			t.Fatalf("%s:%d: malformed or duplicate line", file, n)
		}
		seen[name] = true
		cases = append(cases, wireCase{name, frame, tag == "conformance"})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// wireMap indexes cases by name and fails unless the names are exactly those
// of want.
func wireMap[V any](t *testing.T, file string, want map[string]V) map[string]wireCase {
	t.Helper()
	m := map[string]wireCase{}
	for _, c := range readWires(t, file) {
		if _, ok := want[c.name]; !ok {
			t.Errorf("%s: case %q has no expectation", file, c.name)
		}
		m[c.name] = c
	}
	for name := range want {
		if _, ok := m[name]; !ok {
			t.Errorf("%s: no line for case %q", file, name)
		}
	}
	return m
}

// conformanceStrings are the strings of the official socket.io-protocol suite
// that the brief lists; each must appear in a wire file.
var conformanceStrings = []string{
	`40`, `40{"token":"123"}`, `40/custom,{"token":"abc"}`, `40/random`,
	`42["message",1,"2",{"3":[true]}]`,
	`42456["message-with-ack",1,"2",{"3":[false]}]`,
	`43456[1,"2",{"3":[false]}]`,
	`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
	`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
	`44/random,{"message":"Invalid namespace"}`,
	`41`, `41/custom,`,
	`4abc`, `42{}`,
}

func TestConformanceStringsCovered(t *testing.T) {
	have := map[string]bool{}
	for _, file := range []string{"packets.txt", "invalid.txt"} {
		for _, c := range readWires(t, file) {
			if c.conformance {
				have[c.frame] = true
			}
		}
	}
	for _, s := range conformanceStrings {
		if !have[s] {
			t.Errorf("conformance string %q is not in testdata", s)
		}
	}
}

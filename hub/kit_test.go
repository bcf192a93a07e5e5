package hub_test

import (
	"testing"

	"github.com/siogate/siogate/hub/siotest"
)

// The test kit's most used names, short (see hub/siotest); the rest of the
// kit is called as siotest.X.
type (
	client = siotest.Client
	packet = siotest.Packet
)

const waitTimeout = siotest.WaitTimeout

var (
	startServer = siotest.StartServer
	waitFor     = siotest.WaitFor
	dial        = siotest.Dial
)

func recv[T any](t testing.TB, ch <-chan T, what string) T { return siotest.Recv(t, ch, what) }

// TestMain fails the run when goroutines of siogate outlive the tests.
func TestMain(m *testing.M) { siotest.Main(m) }

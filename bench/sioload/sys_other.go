//go:build !linux

package sioload

import (
	"net/netip"
	"syscall"
)

// Stubs: the loader needs epoll. New fails with ErrUnsupported.

const (
	evRead = 1 << iota
	evWrite
	evErr
)

type pollEvent struct {
	fd   int32
	bits uint8
}

type poller struct{}

func newPoller(int) (*poller, error)                                 { return nil, ErrUnsupported }
func (*poller) add(int) error                                        { return ErrUnsupported }
func (*poller) addRead(int) error                                    { return ErrUnsupported }
func (*poller) wait([]pollEvent, int) (int, error)                   { return 0, ErrUnsupported }
func (*poller) close() error                                         { return nil }
func dialNonblock(netip.Addr, netip.AddrPort, int, int) (int, error) { return -1, ErrUnsupported }
func sockError(int) error                                            { return ErrUnsupported }
func readFD(int, []byte) (int, error)                                { return 0, ErrUnsupported }
func writeFD(int, []byte) (int, error)                               { return 0, ErrUnsupported }
func closeFD(int) error                                              { return ErrUnsupported }
func newPipe() (int, int, error)                                     { return -1, -1, ErrUnsupported }
func bindNoPortControl(string, string, syscall.RawConn) error        { return nil }

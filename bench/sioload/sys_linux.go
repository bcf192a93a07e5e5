package sioload

import (
	"net/netip"
	"syscall"
)

// The loader's only system interface: non-blocking sockets under one
// edge-triggered epoll instance. sys_other.go stubs it out elsewhere.

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT (Linux 4.2): bind() to a
// source address leaves the port to connect(), which may then reuse a port
// towards different destinations.
const ipBindAddressNoPort = 24

// epollET is EPOLLET as the uint32 of EpollEvent.Events (syscall declares
// it as a negative int).
const epollET = 1 << 31

// Event bits of pollEvent.
const (
	evRead  = 1 << iota // readable, or the peer hung up
	evWrite             // writable (or connect finished)
	evErr               // error or hang-up
)

type pollEvent struct {
	fd   int32
	bits uint8
}

type poller struct {
	epfd int
	raw  []syscall.EpollEvent
}

func newPoller(max int) (*poller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &poller{epfd: fd, raw: make([]syscall.EpollEvent, max)}, nil
}

// add registers fd for edge-triggered reads and writes.
func (p *poller) add(fd int) error {
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET,
		Fd:     int32(fd),
	}
	return syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
}

// addRead registers fd for level-triggered reads (the wake pipe).
func (p *poller) addRead(fd int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	return syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
}

// wait blocks up to msec milliseconds (-1: no limit) and fills evs.
func (p *poller) wait(evs []pollEvent, msec int) (int, error) {
	n, err := syscall.EpollWait(p.epfd, p.raw[:min(len(p.raw), len(evs))], msec)
	if err != nil {
		if err == syscall.EINTR {
			return 0, nil
		}
		return 0, err
	}
	for i := range n {
		e := p.raw[i].Events
		var b uint8
		if e&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
			b |= evRead
		}
		if e&syscall.EPOLLOUT != 0 {
			b |= evWrite
		}
		if e&(syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
			b |= evErr
		}
		evs[i] = pollEvent{fd: p.raw[i].Fd, bits: b}
	}
	return n, nil
}

func (p *poller) close() error { return syscall.Close(p.epfd) }

// dialNonblock creates a non-blocking TCP socket, binds it to src (if
// valid) and starts connecting to dst. The connection completes when the
// socket turns writable; sockError then tells how it went.
// rcvbuf and mss, when > 0, set SO_RCVBUF and TCP_MAXSEG first.
func dialNonblock(src netip.Addr, dst netip.AddrPort, rcvbuf, mss int) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if rcvbuf > 0 {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf); err != nil {
			syscall.Close(fd)
			return -1, err
		}
	}
	if mss > 0 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, mss); err != nil {
			syscall.Close(fd)
			return -1, err
		}
	}
	if src.IsValid() {
		_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
		if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: src.As4()}); err != nil {
			syscall.Close(fd)
			return -1, err
		}
	}
	err = syscall.Connect(fd, &syscall.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()})
	if err != nil && err != syscall.EINPROGRESS {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// sockError returns the pending error of a socket (SO_ERROR), nil if none.
func sockError(fd int) error {
	n, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	if err != nil {
		return err
	}
	if n != 0 {
		return syscall.Errno(n)
	}
	return nil
}

// readFD reads into p. It returns (0, nil) at end of file and
// errWouldBlock when nothing is there.
func readFD(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		switch err {
		case nil:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, errWouldBlock
		}
		return 0, err
	}
}

// writeFD writes what the kernel takes of p; errWouldBlock means nothing.
func writeFD(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, p)
		switch err {
		case nil:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, errWouldBlock
		}
		return 0, err
	}
}

func closeFD(fd int) error { return syscall.Close(fd) }

// newPipe returns a non-blocking pipe, read end first.
func newPipe() (r, w int, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}

// bindNoPortControl sets IP_BIND_ADDRESS_NO_PORT on a socket that net.Dialer
// is about to bind to a source address, as dialNonblock does.
func bindNoPortControl(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

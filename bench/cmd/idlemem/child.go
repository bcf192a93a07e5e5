package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// child is a process started by the harness. Its stdout lines are delivered
// on lines; its stderr is kept (the last few KiB) for error messages, or
// copied to the harness's stderr when verbose. The goroutine that waits for
// the process is started by startChild and ends when the process exits;
// stop makes sure it does.
type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser // nil unless asked for
	lines chan string
	tail  *tailBuffer
	done  chan struct{} // closed when the process has exited
	err   error         // Wait's result, valid once done is closed
}

// startChild starts argv. The child gets SIGTERM if the harness dies, and
// its stdin (if kept) reaches end of file then too.
func startChild(name string, argv []string, keepStdin, verbose bool) (*child, error) {
	c := &child{
		name:  name,
		lines: make(chan string, 16),
		tail:  &tailBuffer{max: 4 << 10},
		done:  make(chan struct{}),
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = &lineWriter{out: c.lines}
	cmd.Stderr = c.tail
	if verbose {
		cmd.Stderr = io.MultiWriter(c.tail, &prefixWriter{prefix: "[" + name + "] ", w: os.Stderr})
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.WaitDelay = time.Second
	if keepStdin {
		w, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		c.stdin = w
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c.cmd = cmd
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to grace, then sends SIGKILL and waits for
// the exit. It is safe to call more than once and after the process exited.
func (c *child) stop(grace time.Duration) {
	if c.stdin != nil {
		c.stdin.Close()
	}
	if c.exited() {
		return
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return
	case <-time.After(grace):
	}
	c.cmd.Process.Kill()
	<-c.done
}

// describe returns the exit status and the stderr tail, for error messages.
func (c *child) describe() string {
	state := "running"
	if c.exited() {
		state = fmt.Sprint(c.err)
		if c.err == nil {
			state = "exited 0"
		}
	}
	return fmt.Sprintf("%s (%s); stderr tail:\n%s", c.name, state, c.tail.String())
}

// lineWriter sends each complete line written to it on out, dropping lines
// when nobody reads (the harness only needs the first few).
type lineWriter struct {
	out chan<- string
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		select {
		case w.out <- string(w.buf[:i]):
		default:
		}
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it. Safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// prefixWriter writes p to w with prefix before every line.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mid    bool // in the middle of a line
}

func (pw *prefixWriter) Write(p []byte) (int, error) {
	var out []byte
	for _, ch := range p {
		if !pw.mid {
			out = append(out, pw.prefix...)
		}
		out = append(out, ch)
		pw.mid = ch != '\n'
	}
	_, err := pw.w.Write(out)
	return len(p), err
}

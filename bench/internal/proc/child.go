package proc

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

// Child is a process started by a benchmark. Every line it writes on stdout
// is delivered on Lines, in order; its stderr is kept (the last few KiB) for
// error messages, and copied to StartOptions.Stderr when set. Start owns
// the goroutine that waits for the process (and os/exec's copying ones);
// they end when the process exits, and Stop makes sure it does.
type Child struct {
	Name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser // nil unless asked for
	lines chan string
	tail  *tailBuffer
	done  chan struct{} // closed when the process has exited
	err   error         // Wait's result, valid once done is closed
}

// StartOptions configures Start.
type StartOptions struct {
	// Stdin keeps a pipe to the child's stdin (see Send).
	Stdin bool
	// Stderr, if set, gets a copy of the child's stderr, each line prefixed
	// with "[name] ".
	Stderr io.Writer
	// Dir is the working directory (default: the current one).
	Dir string
	// Lines is the buffer of stdout lines not yet read (default 4096). When
	// it is full the child blocks on its next write.
	Lines int
}

// Start starts argv. The child gets SIGTERM if the benchmark process dies.
func Start(name string, argv []string, o StartOptions) (*Child, error) {
	if o.Lines <= 0 {
		o.Lines = 4096
	}
	c := &Child{
		Name:  name,
		lines: make(chan string, o.Lines),
		tail:  &tailBuffer{max: 16 << 10},
		done:  make(chan struct{}),
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = o.Dir
	cmd.Stderr = c.tail
	if o.Stderr != nil {
		cmd.Stderr = io.MultiWriter(c.tail, &prefixWriter{prefix: "[" + name + "] ", w: o.Stderr})
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.WaitDelay = time.Second
	cmd.Stdout = &lineWriter{out: c.lines}
	if o.Stdin {
		var err error
		if c.stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
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

// Pid returns the process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Lines delivers stdout line by line. It is never closed: once Done is
// closed, every line the child wrote is in the channel's buffer.
func (c *Child) Lines() <-chan string { return c.lines }

// Done is closed when the process has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited reports whether the process has ended.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Send writes line and a newline to the child's stdin.
func (c *Child) Send(line string) error {
	if c.stdin == nil {
		return fmt.Errorf("%s: no stdin pipe", c.Name)
	}
	_, err := io.WriteString(c.stdin, line+"\n")
	return err
}

// Signal sends sig to the process.
func (c *Child) Signal(sig os.Signal) error { return c.cmd.Process.Signal(sig) }

// Stop closes stdin, sends SIGTERM, waits up to grace, then sends SIGKILL
// and waits for the exit. It is safe to call more than once. Lines not read
// are discarded so that the child cannot block on stdout.
func (c *Child) Stop(grace time.Duration) {
	if c.stdin != nil {
		c.stdin.Close()
	}
	go func() { // until the exit, so that the child never blocks on stdout
		for {
			select {
			case <-c.lines:
			case <-c.done:
				return
			}
		}
	}()
	if c.Exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return
	case <-time.After(grace):
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

// Wait waits up to d for the process to exit by itself and reports
// whether it did.
func (c *Child) Wait(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Describe returns the exit status and the stderr tail, for error messages.
func (c *Child) Describe() string {
	state := "running"
	if c.Exited() {
		state = fmt.Sprint(c.err)
		if c.err == nil {
			state = "exited 0"
		}
	}
	return fmt.Sprintf("%s (%s); stderr tail:\n%s", c.Name, state, c.tail.String())
}

// lineWriter sends each complete line written to it on out, blocking while
// out is full.
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
		w.out <- string(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil
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

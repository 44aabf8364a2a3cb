package redisstore_test

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// replyDropper is a TCP proxy on loopback in front of a Redis server that
// can lose one reply: the first reply to a command naming a given key is
// not passed on, and the client's connection is closed instead, as when a
// network fails after Redis executed the command. The client cannot tell
// whether the command ran, and (go-redis does so by default) may send it
// again. It can also be cut off (cut): from then on nothing passes either
// way while connections stay open, as in a network partition.
type replyDropper struct {
	t        *testing.T
	target   string
	listener net.Listener
	match    atomic.Pointer[[]byte] // the key; nil when disarmed
	dropped  atomic.Int32           // replies dropped
	cutOff   chan struct{}          // closed by cut
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

// newReplyDropper starts a proxy to the Redis at target, closed when the
// test ends.
func newReplyDropper(t *testing.T, target string) *replyDropper {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &replyDropper{t: t, target: target, listener: l, cutOff: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// addr is the proxy's address, to give to a Redis client.
func (p *replyDropper) addr() string { return p.listener.Addr().String() }

// dropReplyTo makes the proxy drop the next reply to a command containing
// key (a NOSCRIPT error excepted: that command never ran).
func (p *replyDropper) dropReplyTo(key string) {
	b := []byte(key)
	p.match.Store(&b)
}

// cut stops all traffic through the proxy, for good.
func (p *replyDropper) cut() { close(p.cutOff) }

// isCut reports whether the proxy was cut off.
func (p *replyDropper) isCut() bool {
	select {
	case <-p.cutOff:
		return true
	default:
		return false
	}
}

func (p *replyDropper) accept() {
	defer p.wg.Done()
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		var marked atomic.Bool // the last command sent names the key
		p.wg.Add(2)
		go func() { // client to server
			defer p.wg.Done()
			defer server.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := client.Read(buf)
				if n > 0 && !p.isCut() {
					if m := p.match.Load(); m != nil && bytes.Contains(buf[:n], *m) {
						marked.Store(true)
					}
					if _, werr := server.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() { // server to client
			defer p.wg.Done()
			defer client.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := server.Read(buf)
				if n > 0 && !p.isCut() {
					if marked.Load() && !bytes.HasPrefix(buf[:n], []byte("-NOSCRIPT")) {
						if m := p.match.Load(); m != nil && p.match.CompareAndSwap(m, nil) {
							p.dropped.Add(1)
							_ = server.Close()
							return
						}
					}
					marked.Store(false)
					if _, werr := client.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func (p *replyDropper) close() {
	_ = p.listener.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

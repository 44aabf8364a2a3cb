package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// With -serve, a SIGINT sent the moment the address is announced stops the
// receiver cleanly: the signal handler is in place, and the address bound,
// before the announcement.
func TestServeStopsOnInterruptRightAfterTheAddress(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("skipping: go is not installed: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "webhook-receiver")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	for i := range 10 {
		cmd := exec.Command(bin, "-serve", "127.0.0.1:0")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		announced := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "serving TikiNOW webhooks on http://127.0.0.1:") {
					announced <- true
					_, _ = io.Copy(io.Discard, stderr)
					return
				}
			}
			announced <- false
		}()
		select {
		case ok := <-announced:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("run %d: the receiver exited without announcing its address", i)
			}
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("run %d: the receiver did not announce its address within 10 s", i)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: the receiver should exit cleanly on a SIGINT right after its address: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("run %d: the receiver did not stop within 10 s of SIGINT", i)
		}
	}
}

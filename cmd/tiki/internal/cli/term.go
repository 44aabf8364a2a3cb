package cli

import (
	"bufio"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
)

// confirm asks a yes/no question on the terminal before a write. yes (the
// --yes flag) answers it; without a terminal to ask on, the command stops
// with a usage error saying to add --yes, before anything is sent.
func (a *app) confirm(cmd *cobra.Command, yes bool, question string) error {
	if yes {
		return nil
	}
	if !a.env.StdinTerminal || !a.env.StderrTerminal {
		return usagef(cmd, "%s: no terminal to ask on, and nothing was sent: add --yes to apply without the question", strings.TrimSuffix(question, "?"))
	}
	fmt.Fprintf(a.env.Stderr, "%s [y/N] ", question)
	line, err := a.readLine()
	if err != nil {
		return &cliError{code: ExitError, msg: "reading the answer: " + err.Error(), cause: err}
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return &cliError{code: ExitError, msg: errAborted.Error(), cause: errAborted}
}

// stdinLines reads stdin line by line, shared by every read of a run.
func (a *app) readLine() (string, error) {
	if a.stdin == nil {
		a.stdin = bufio.NewReader(a.env.Stdin)
	}
	line, err := a.stdin.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readSecret reads a secret: on a terminal, after a prompt on stderr and
// without echo; otherwise one line of stdin. The secret is never printed.
func (a *app) readSecret(prompt string) (string, error) {
	var (
		s   string
		err error
	)
	if a.env.StdinTerminal && a.env.ReadSecret != nil {
		fmt.Fprintf(a.env.Stderr, "%s (input hidden): ", prompt)
		s, err = a.env.ReadSecret()
		fmt.Fprintln(a.env.Stderr)
	} else {
		s, err = a.readLine()
	}
	if err != nil {
		return "", &cliError{code: ExitUsage, msg: fmt.Sprintf("reading the %s from stdin: %v: give it on stdin, one line, or run the command on a terminal", prompt, err), cause: err}
	}
	return strings.TrimSpace(s), nil
}

// progress draws "label done/total" on stderr, when stderr is a terminal,
// at most ten times a second; nothing otherwise.
type progress struct {
	a     *app
	label string
	mu    sync.Mutex
	last  time.Time
	drawn bool
}

// newProgress starts a progress line about label ("orders", "items").
func (a *app) newProgress(label string) *progress {
	return &progress{a: a, label: label}
}

// set draws done of total (total 0: unknown).
func (p *progress) set(done, total int) {
	if p == nil || !p.a.env.StderrTerminal {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); p.drawn && now.Sub(p.last) < 100*time.Millisecond && done != total {
		return
	} else {
		p.last = now
	}
	p.drawn = true
	if total > 0 {
		width := 24
		filled := done * width / total
		fmt.Fprintf(p.a.env.Stderr, "\r[%s%s] %d/%d %s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, p.label)
		return
	}
	fmt.Fprintf(p.a.env.Stderr, "\r%d %s ", done, p.label)
}

// done clears the progress line.
func (p *progress) done() {
	if p == nil || !p.a.env.StderrTerminal {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.a.env.Stderr, "\r\033[K")
		p.drawn = false
	}
}

// fixedCompletion completes a flag from a fixed list of values.
func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeProfiles completes --profile from the configuration file.
func (a *app) completeProfiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, _, err := a.readConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cfg.names(), cobra.ShellCompDirectiveNoFileComp
}

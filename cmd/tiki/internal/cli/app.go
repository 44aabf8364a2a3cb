package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tikisdk/tiki"
)

// Version is the command's version, printed by tiki --version and sent in
// the User-Agent header after the SDK's.
const Version = "0.1.0"

// Env is everything the command takes from the process: its streams, its
// environment, whether the streams are terminals, the clock and the
// configuration directory. Tests give their own.
type Env struct {
	// Stdin, Stdout and Stderr are the command's streams.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads an environment variable ("" when unset).
	Getenv func(string) string
	// StdinTerminal, StdoutTerminal and StderrTerminal report whether each
	// stream is a terminal: prompts need stdin and stderr on one, progress
	// is drawn only on a terminal stderr.
	StdinTerminal, StdoutTerminal, StderrTerminal bool
	// ReadSecret reads one line from the terminal without echoing it; nil
	// when stdin is not a terminal.
	ReadSecret func() (string, error)
	// Now is the clock; the demo data of --fake is dated from it.
	Now func() time.Time
	// ConfigDir is the user's configuration directory, where the
	// configuration file tiki/config.yaml lives unless TIKI_CONFIG or
	// --config names another; "" when the system has none.
	ConfigDir string
	// ClientOptions are added to the options of every client the command
	// makes (tests give short retry waits).
	ClientOptions []tiki.Option
}

// Main runs the command with the process's arguments, streams and
// environment, stops it on SIGINT or SIGTERM, and returns its exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	configDir, _ := os.UserConfigDir()
	env := &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv:         os.Getenv,
		StdinTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		StdoutTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		StderrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Now:            time.Now,
		ConfigDir:      configDir,
	}
	if env.StdinTerminal {
		env.ReadSecret = func() (string, error) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			return string(b), err
		}
	}
	return Run(ctx, env, os.Args[1:])
}

// Run runs the command line args (without the program's name) and returns
// the exit code. Errors are written to env.Stderr as one line.
func Run(ctx context.Context, env *Env, args []string) int {
	a := &app{env: env}
	defer a.close()
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !isUsage(err) {
		err = &cliError{code: ExitInterrupted, msg: "interrupted", cause: err}
	}
	line := errorLine(err)
	if a.sess != nil && a.sess.name != "" {
		line = strings.ReplaceAll(line, "tiki config login PROFILE", "tiki config login "+a.sess.name)
	}
	fmt.Fprintln(env.Stderr, line)
	return exitCode(err)
}

// app holds one run of the command: its environment, the global flags and
// the client, made on first use.
type app struct {
	env *Env

	// Global flags.
	output     string
	profile    string
	configFile string
	fake       bool
	verbose    bool

	sess   *session
	stdin  *bufio.Reader // stdin, read line by line (answers, secrets)
	counts counts        // the requests made, for progress
}

// rootCommand builds the command tree.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "tiki",
		Short: "Run a Tiki shop from the command line: orders, products, stock, catalog, event queue, webhooks",
		Long: `tiki runs a seller's shop on Tiki, the Vietnamese marketplace, from the command line, and serves the same
operations to AI assistants as an MCP server (tiki mcp). Every command is a thin layer over the Go SDK
github.com/tikisdk/tiki: arguments are checked before anything is sent, writes are never sent twice, and calls
wait for Tiki's rate limit instead of failing.

Credentials come from a profile of the configuration file (tiki config set), or from the environment variables
the SDK's examples read (TIKI_CLIENT_ID and TIKI_CLIENT_SECRET, TIKI_ACCESS_TOKEN, TIKI_SELLER_KEY, TIKI_ENV,
TIKI_BASE_URL). --fake runs every command against a built-in fake Tiki with demo data: no account needed.

Exit codes: 0 done; 1 another failure; 2 usage (a command, flag or profile that does not exist); 3 a value
refused before anything was sent; 4 Tiki refused or failed (its request id is in the message); 5 no answer
from Tiki (network); 130 interrupted.`,
		Example: `  tiki --fake orders list
  tiki --fake orders confirm --all-waiting --dry-run
  tiki --fake products list -o csv > products.csv
  tiki --profile shop orders list --waiting --all -o json`,
		Version:       Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.checkGlobals()
		},
	}
	// The streams first: cobra's completion commands keep the output
	// stream of when they are made.
	root.SetIn(a.env.Stdin)
	root.SetOut(a.env.Stdout)
	root.SetErr(a.env.Stderr)
	root.SetFlagErrorFunc(flagError)
	root.SetVersionTemplate("tiki version {{.Version}} (Go SDK github.com/tikisdk/tiki " + tiki.Version + ")\n")
	pf := root.PersistentFlags()
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table, json or csv")
	pf.StringVar(&a.profile, "profile", "", "profile of the configuration file to use (default: $TIKI_PROFILE, then the environment's credentials, then the file's default)")
	pf.StringVar(&a.configFile, "config", "", "configuration file (default: $TIKI_CONFIG, or tiki/config.yaml in the user's configuration directory)")
	pf.BoolVar(&a.fake, "fake", false, "run against a built-in fake Tiki with demo data (no credentials; nothing outlives the command)")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log every request to stderr (method, path, status, duration; never a secret)")
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion(formats...))
	_ = root.RegisterFlagCompletionFunc("profile", a.completeProfiles)

	root.AddGroup(&cobra.Group{ID: "shop", Title: "Shop commands:"}, &cobra.Group{ID: "setup", Title: "Setup commands:"})
	shop := []*cobra.Command{a.ordersCommand(), a.productsCommand()}
	shop = append(shop, a.stockCommands()...)
	for _, c := range append(shop, a.requestsCommand(), a.catalogCommand(), a.queueCommand(), a.webhooksCommand()) {
		c.GroupID = "shop"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.configCommand(), a.mcpCommand()} {
		c.GroupID = "setup"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("setup")
	root.SetCompletionCommandGroupID("setup")
	addBuiltinExamples(root)
	visit(root, func(c *cobra.Command) {
		c.SilenceErrors, c.SilenceUsage = true, true
		c.SuggestionsMinimumDistance = 2
		if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
			c.Args = groupArgs
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
	})
	return root
}

// completionExamples are the examples of cobra's completion commands, by
// shell.
var completionExamples = map[string]string{
	"completion": `  tiki completion bash > ~/.local/share/bash-completion/completions/tiki
  tiki completion zsh > "${fpath[1]}/_tiki"`,
	"bash":       `  tiki completion bash > ~/.local/share/bash-completion/completions/tiki`,
	"zsh":        `  tiki completion zsh > "${fpath[1]}/_tiki"`,
	"fish":       `  tiki completion fish > ~/.config/fish/completions/tiki.fish`,
	"powershell": `  tiki completion powershell | Out-String | Invoke-Expression`,
}

// addBuiltinExamples adds the commands cobra makes (help, completion) to
// the tree now, with examples like every other command.
func addBuiltinExamples(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  tiki help orders confirm"
		case "completion":
			c.Example = completionExamples["completion"]
			for _, shell := range c.Commands() {
				shell.Example = completionExamples[shell.Name()]
			}
		}
	}
}

// visit calls fn for cmd and every command below it.
func visit(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		visit(c, fn)
	}
}

// groupArgs refuses an unknown subcommand of a command that only groups
// others, naming the likely one or the ones it has.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return usagef(cmd, "%q is not a command of %s: did you mean %s?", args[0], cmd.CommandPath(), strings.Join(s, " or "))
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usagef(cmd, "%q is not a command of %s: use one of %s", args[0], cmd.CommandPath(), strings.Join(names, ", "))
}

// checkGlobals checks the global flags before any command runs.
func (a *app) checkGlobals() error {
	if !validFormat(a.output) {
		return &cliError{code: ExitUsage, msg: fmt.Sprintf("--output %q is not a format: use table, json or csv", a.output)}
	}
	if a.fake && a.profile != "" {
		return &cliError{code: ExitUsage, msg: "--fake and --profile do not go together: --fake runs against the built-in fake Tiki, without a profile"}
	}
	return nil
}

// format returns the output format of the run.
func (a *app) format() format { return format(a.output) }

// logger returns the logger of --verbose, or nil.
func (a *app) logger() *slog.Logger {
	if !a.verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(a.env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// getenv reads an environment variable, trimmed.
func (a *app) getenv(name string) string {
	if a.env.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(a.env.Getenv(name))
}

// configPath returns the configuration file of the run and whether it was
// named explicitly (--config or TIKI_CONFIG).
func (a *app) configPath() (string, bool, error) {
	switch {
	case a.configFile != "":
		return a.configFile, true, nil
	case a.getenv(EnvConfig) != "":
		return a.getenv(EnvConfig), true, nil
	case a.env.ConfigDir != "":
		return filepath.Join(a.env.ConfigDir, "tiki", "config.yaml"), false, nil
	}
	return "", false, &cliError{code: ExitUsage, msg: "this system has no user configuration directory: name a configuration file with --config or TIKI_CONFIG"}
}

// close releases what the run holds: the built-in fake, idle connections.
func (a *app) close() {
	if a.sess != nil {
		a.sess.close()
	}
}

// now returns the run's time.
func (a *app) now() time.Time {
	if a.env.Now != nil {
		return a.env.Now()
	}
	return time.Now()
}

// userAgent is the product the command adds to the SDK's User-Agent.
const userAgent = "tiki-cli/" + Version

// errAborted is returned when the user declines a confirmation prompt.
var errAborted = errors.New("not applied: the confirmation was declined, nothing was sent")

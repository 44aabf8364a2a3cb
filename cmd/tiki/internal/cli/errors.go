package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
)

// Exit codes: what went wrong, for scripts.
const (
	// ExitOK: the command did what it was asked.
	ExitOK = 0
	// ExitError: another failure (a file that cannot be read or written,
	// a declined confirmation).
	ExitError = 1
	// ExitUsage: the command line is wrong: an unknown command or flag, a
	// flag value that is not one of its values, a missing argument, a
	// profile that does not exist. Nothing was sent.
	ExitUsage = 2
	// ExitInvalid: a value was refused before anything was sent: a row of
	// a CSV file, a product request file, a rule of Tiki's documentation
	// the SDK checks.
	ExitInvalid = 3
	// ExitRefused: Tiki answered with an error (4xx, 5xx, an answer that is
	// not what it documents), refused the credentials, or refused some
	// items of a batch.
	ExitRefused = 4
	// ExitNetwork: no answer from Tiki: the connection failed or timed
	// out.
	ExitNetwork = 5
	// ExitInterrupted: the command was stopped (Ctrl-C, SIGTERM).
	ExitInterrupted = 130
)

// cliError is an error of the command itself, with its exit code and a
// message that says what to do about it.
type cliError struct {
	code  int
	msg   string
	cause error // wrapped, for errors.Is and errors.As; not printed
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.cause }

// usagef returns a usage error about cmd: its message, then how to get
// the command's help.
func usagef(cmd *cobra.Command, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cmd != nil {
		msg += fmt.Sprintf(" (see %s --help)", cmd.CommandPath())
	}
	return &cliError{code: ExitUsage, msg: msg}
}

// invalidf returns an error about a value refused before anything was sent.
func invalidf(format string, args ...any) error {
	return &cliError{code: ExitInvalid, msg: fmt.Sprintf(format, args...)}
}

// inputFileError is a usage error about a file the command line names that
// cannot be read: what it holds, the file and why, and what to give.
func inputFileError(what string, err error, give string) error {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Path + ": " + pe.Err.Error()
	}
	return &cliError{code: ExitUsage, cause: err, msg: fmt.Sprintf("reading %s %s: give %s; nothing was sent", what, msg, give)}
}

// flagError turns the flag parser's errors into usage errors naming the
// command's help.
func flagError(cmd *cobra.Command, err error) error {
	return usagef(cmd, "%s", err.Error())
}

// isUsage reports whether err is a usage error.
func isUsage(err error) bool {
	var ce *cliError
	return errors.As(err, &ce) && ce.code == ExitUsage
}

// exitCode returns the exit code of an error.
func exitCode(err error) int {
	var (
		ce  *cliError
		ve  *tiki.ValidationError
		re  *tiki.RequestError
		ae  *tiki.APIError
		te  *tiki.TokenError
		de  *tiki.DecodeError
		aue *tiki.AuthorizationError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ce):
		return ce.code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ve):
		return ExitInvalid
	case errors.As(err, &re):
		return ExitNetwork
	case errors.As(err, &ae), errors.As(err, &te), errors.As(err, &de), errors.As(err, &aue),
		errors.Is(err, tiki.ErrUnauthorized), errors.Is(err, tiki.ErrNoToken):
		return ExitRefused
	case isCobraUsage(err):
		return ExitUsage
	}
	return ExitError
}

// isCobraUsage recognises the errors cobra returns for a command line it
// cannot match (its errors have no type).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "accepts ", "requires at least", "requires at most", "flag needs an argument", "required flag", "if any flags in the group", "none of the others can be"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// errorLine renders err as the one line the command prints: "tiki: ",
// what happened and, when the error alone does not say it, what to do.
func errorLine(err error) string {
	msg := err.Error()
	var ce *cliError
	if !errors.As(err, &ce) {
		msg = strings.TrimPrefix(msg, "tiki: ")
		if hint := hint(err); hint != "" {
			msg += "; " + hint
		}
		if isCobraUsage(err) {
			msg = firstLine(msg) + " (see tiki --help)"
		}
	}
	return "tiki: " + oneLine(msg)
}

// hint says what to do about an error of the SDK.
func hint(err error) string {
	var (
		ve *tiki.ValidationError
		re *tiki.RequestError
		te *tiki.TokenError
		de *tiki.DecodeError
		ue *tiki.UnconfirmedError
		ge *tiki.GrantRevokedError
	)
	switch {
	case strings.Contains(strings.ToLower(err.Error()), pausedConnection):
		return "the seller paused the app's connection: resume it in Seller Center, then run the command again"
	case errors.As(err, &ge), errors.Is(err, tiki.ErrNoToken):
		return "sign the seller in again with tiki config login PROFILE"
	case errors.As(err, &ve):
		return "nothing was sent"
	case errors.As(err, &re) && re.Sent:
		return "Tiki may have received the request: check its effect before running the command again"
	case errors.As(err, &re):
		return "nothing reached Tiki: check the network, or the profile's base URL (tiki config show)"
	case errors.As(err, &te), errors.Is(err, tiki.ErrUnauthorized):
		return "check the credentials (tiki config show)"
	case errors.Is(err, tiki.ErrForbidden):
		return "the credentials lack a scope or the seller is inactive (tiki config show)"
	case errors.Is(err, tiki.ErrRateLimited):
		return "Tiki's rate limit: run the command again in a moment"
	case errors.As(err, &ue):
		return "" // its message says whether Tiki may have processed it
	case errors.As(err, &de):
		return "Tiki's answer is not what it documents: report it with the request id, if any"
	}
	return ""
}

// pausedConnection is what Tiki answers, in place of a list or an update,
// when the seller paused the app's connection in Seller Center ("the
// connection is paused by the seller"), in lower case.
const pausedConnection = "kết nối đang tạm ngưng bởi seller"

// firstLine returns the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// oneLine joins the lines of s with "; " and drops control characters, so
// that an error is one line whatever Tiki's message holds.
func oneLine(s string) string {
	var parts []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.Join(parts, "; "))
}

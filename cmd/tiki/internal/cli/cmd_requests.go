package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/tikisdk/tiki"
)

// trackColumns are the columns of a product request's tracking record.
var trackColumns = []column[tiki.TrackedRequest]{
	{"track_id", "TRACK ID", func(r *tiki.TrackedRequest) string { return r.TrackID }},
	{"request_id", "REQUEST ID", func(r *tiki.TrackedRequest) string { return r.RequestID }},
	{"state", "STATE", func(r *tiki.TrackedRequest) string { return string(r.State) }},
	{"reason", "REASON", func(r *tiki.TrackedRequest) string { return r.ReasonText() }},
}

func (a *app) requestsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "Create product requests and follow them through Tiki's review",
		Long: `Listing a product on Tiki is asynchronous: a product request is sent, Tiki reviews it (a bot, the documents,
a person) and, once approved, the product exists. On the sandbox, requests are approved automatically.`,
		Example: `  tiki requests create product.yaml --wait
  tiki requests track 7a1c...`,
	}
	cmd.AddCommand(a.requestsCreateCommand(), a.requestsTrackCommand(), a.requestsWaitCommand())
	return cmd
}

func (a *app) requestsCreateCommand() *cobra.Command {
	var (
		wait     bool
		timeout  time.Duration
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create FILE",
		Short: "Send a product request from a JSON or YAML file (- for stdin)",
		Long: `Send a product request: the product in FILE, JSON or YAML (by its extension; - reads stdin), with the fields of
Tiki's product request (category_id, name, description, market_price, attributes, image, images,
option_attributes, variants, certificate_files, meta_data). The request is checked first: every problem is
reported at once and nothing is sent. A request is never sent twice: after a timeout, look it up before
sending it again. --wait follows it until Tiki approves or rejects it.`,
		Example: `  tiki requests create product.yaml
  tiki requests create product.json --wait --timeout 30m
  tiki catalog attributes 218   # the attribute codes of the product's category`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval < 0 || timeout < 0 {
				return usagef(cmd, "--interval and --timeout are durations of 0 or more, for example 2s or 30m")
			}
			p, err := a.readProductFile(args[0])
			if err != nil {
				return err
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			rec, _, err := client.ProductRequests.Create(cmd.Context(), p)
			if err != nil {
				return err
			}
			if wait {
				if rec, err = a.waitRequest(cmd, client, rec.TrackID, timeout, interval); err != nil {
					return err
				}
			}
			return writeOne(a, rec, trackColumns, nil)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the request until Tiki approves, rejects or deletes it")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "with --wait: give up after this long (default: no limit; Ctrl-C stops)")
	cmd.Flags().DurationVar(&interval, "interval", 0, "with --wait: the first wait between polls (default 2s, doubling to 1m)")
	return cmd
}

func (a *app) requestsTrackCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "track TRACK_ID",
		Short:   "Show where a product request is in Tiki's review",
		Example: `  tiki requests track 7a1c...`,
		Args:    exactArgs(1, "TRACK_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := a.client(false)
			if err != nil {
				return err
			}
			rec, _, err := client.Tracking.Get(cmd.Context(), args[0])
			if err != nil {
				return notFound(err, "product request "+args[0], "tiki requests create")
			}
			return writeOne(a, rec, trackColumns, nil)
		},
	}
}

func (a *app) requestsWaitCommand() *cobra.Command {
	var timeout, interval time.Duration
	cmd := &cobra.Command{
		Use:   "wait TRACK_ID",
		Short: "Wait until Tiki approves, rejects or deletes a product request",
		Long: `Poll a product request until Tiki decides: approved, rejected (with Tiki's reason) or deleted. Polls start
at once and back off from 2 s to 1 min. On production a person approves requests: give --timeout a value that
fits, or stop with Ctrl-C and run it again later.`,
		Example: `  tiki requests wait 7a1c... --timeout 30m`,
		Args:    exactArgs(1, "TRACK_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval < 0 || timeout < 0 {
				return usagef(cmd, "--interval and --timeout are durations of 0 or more, for example 2s or 30m")
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			rec, err := a.waitRequest(cmd, client, args[0], timeout, interval)
			if err != nil {
				return err
			}
			return writeOne(a, rec, trackColumns, nil)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (default: no limit; Ctrl-C stops)")
	cmd.Flags().DurationVar(&interval, "interval", 0, "the first wait between polls (default 2s, doubling to 1m)")
	return cmd
}

// waitRequest follows a product request until Tiki decides, showing its
// state on a terminal.
func (a *app) waitRequest(cmd *cobra.Command, client *tiki.Client, trackID string, timeout, interval time.Duration) (*tiki.TrackedRequest, error) {
	ctx, cancel := withTimeout(cmd.Context(), timeout)
	defer cancel()
	p := a.newProgress("")
	defer p.done()
	var last tiki.RequestState
	rec, _, err := client.Tracking.Wait(ctx, trackID, &tiki.WaitOptions{Interval: interval, OnPoll: func(r *tiki.TrackedRequest) {
		if r.State != last && a.env.StderrTerminal {
			last = r.State
			p.label = "request " + trackID + ": " + string(r.State)
			p.set(0, 0)
		}
	}})
	p.done()
	var we *tiki.WaitError
	if errors.As(err, &we) && errors.Is(err, context.DeadlineExceeded) && cmd.Context().Err() == nil {
		state := "not polled yet"
		if we.Last != nil {
			state = string(we.Last.State)
		}
		return nil, &cliError{code: ExitError, cause: err,
			msg: fmt.Sprintf("request %s is still %s after %s: run tiki requests wait %s again later", trackID, state, timeout, trackID)}
	}
	if err != nil {
		return nil, notFound(err, "product request "+trackID, "tiki requests create")
	}
	return rec, nil
}

// maxProductFile bounds a product request file.
const maxProductFile = 4 << 20

// readProductFile reads a product request from a JSON or YAML file, or
// stdin for "-", refusing fields Tiki's product request does not have.
func (a *app) readProductFile(name string) (tiki.NewProduct, error) {
	var (
		data []byte
		err  error
	)
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(a.env.Stdin, maxProductFile+1))
		name = "stdin"
	} else {
		var f *os.File
		if f, err = os.Open(name); err == nil {
			data, err = io.ReadAll(io.LimitReader(f, maxProductFile+1))
			f.Close()
		}
	}
	if err != nil {
		return tiki.NewProduct{}, inputFileError("the product request", err, "the path of a JSON or YAML file, or - to read stdin")
	}
	if len(data) > maxProductFile {
		return tiki.NewProduct{}, invalidf("%s is larger than %d MiB: a product request is a small JSON or YAML document", name, maxProductFile>>20)
	}
	return parseProduct(name, data)
}

// parseProduct decodes a product request, JSON or YAML (by the name's
// extension, or by the first character).
func parseProduct(name string, data []byte) (tiki.NewProduct, error) {
	var p tiki.NewProduct
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return p, invalidf("%s is empty: write the product request as JSON or YAML (see tiki requests create --help)", name)
	}
	ext := strings.ToLower(filepath.Ext(name))
	isJSON := ext == ".json" || (ext != ".yaml" && ext != ".yml" && trimmed[0] == '{')
	if !isJSON {
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return p, invalidf("%s is not valid YAML: %s; nothing was sent", name, oneLine(strings.TrimPrefix(err.Error(), "yaml: ")))
		}
		j, err := json.Marshal(doc)
		if err != nil {
			return p, invalidf("%s: %s (write mappings with text keys); nothing was sent", name, oneLine(err.Error()))
		}
		data = j
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, invalidf("%s: %s; nothing was sent", name, jsonProblem(data, err))
	}
	if dec.More() {
		return p, invalidf("%s holds more than one document: one product request a file; nothing was sent", name)
	}
	return p, nil
}

// jsonProblem says what is wrong in a JSON document, with the line of a
// syntax error and the field of a type error.
func jsonProblem(data []byte, err error) string {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, se)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s, not %s", te.Field, jsonType(te.Type.Kind().String()), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") + " in a product request: the fields are category_id, name, description, market_price, attributes, image, images, option_attributes, variants, certificate_files, meta_data (variants: sku, price, inventory_type, seller_warehouse, warehouse_stocks, ...)"
	}
	return oneLine(strings.TrimPrefix(err.Error(), "json: "))
}

// jsonType names a Go kind as JSON writes it.
func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "float64", "uint":
		return "a number"
	case "string":
		return "text"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	case "bool":
		return "true or false"
	}
	return kind
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
)

var queueColumns = []column[tiki.EventQueue]{
	{"code", "CODE", func(q *tiki.EventQueue) string { return q.Code }},
	{"name", "NAME", func(q *tiki.EventQueue) string { return q.Name }},
	{"status", "STATUS", func(q *tiki.EventQueue) string { return q.Status }},
}

var subscriptionColumns = []column[tiki.Subscription]{
	{"code", "CODE", func(s *tiki.Subscription) string { return s.Code }},
	{"event_type", "EVENT TYPE", func(s *tiki.Subscription) string { return string(s.EventType) }},
	{"active", "ACTIVE", func(s *tiki.Subscription) string { return yesNo(s.Active) }},
	{"sid", "SELLER", func(s *tiki.Subscription) string { return s.SID }},
}

func (a *app) queueCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Create event queues, subscribe them to event types, and tail them",
		Long: `Tiki's event queue tells a backend about new orders, order status changes and price and stock changes; the
backend pulls, so nothing has to be reachable from the internet. A queue belongs to the app whose token made
it; each event type is subscribed once (Tiki routes events about five seconds later).`,
		Example: `  tiki queue create orders --subscribe-all
  tiki queue tail orders
  tiki queue tail orders --count 10 -o json`,
	}
	cmd.AddCommand(a.queueListCommand(), a.queueCreateCommand(), a.queueSubscribeCommand(), a.queueSubscriptionsCommand(), a.queueTailCommand())
	return cmd
}

// findQueue resolves a queue named by its code or its name.
func findQueue(ctx context.Context, client *tiki.Client, ref string) (*tiki.EventQueue, error) {
	queues, _, err := client.EventQueue.ListQueues(ctx)
	if err != nil {
		return nil, err
	}
	var byName []tiki.EventQueue
	for _, q := range queues {
		if q.Code == ref {
			return &q, nil
		}
		if q.Name == ref {
			byName = append(byName, q)
		}
	}
	switch len(byName) {
	case 1:
		return &byName[0], nil
	case 0:
		names := make([]string, len(queues))
		for i, q := range queues {
			names[i] = q.Name + " (" + q.Code + ")"
		}
		list := "the app has none: tiki queue create NAME makes one"
		if len(names) > 0 {
			list = "the app's queues: " + strings.Join(names, ", ")
		}
		return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("no event queue has the code or name %q; %s", ref, list)}
	}
	codes := make([]string, len(byName))
	for i, q := range byName {
		codes[i] = q.Code
	}
	return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("%d event queues are named %q: name one by its code (%s)", len(byName), ref, strings.Join(codes, ", "))}
}

func (a *app) queueListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the app's event queues",
		Example: `  tiki queue list`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := a.client(false)
			if err != nil {
				return err
			}
			queues, _, err := client.EventQueue.ListQueues(cmd.Context())
			if err != nil {
				return err
			}
			return writeList(a, queueColumns, "event queues", queues)
		},
	}
}

// eventTypes reads the event types of a subscription (all: every type).
func eventTypes(cmd *cobra.Command, names []string, all bool) ([]tiki.EventType, error) {
	if all {
		if len(names) > 0 {
			return nil, usagef(cmd, "give event types or --all, not both")
		}
		return tiki.EventTypes(), nil
	}
	types, err := allOf("event type", names, "an event type", tiki.EventTypes())
	if err != nil {
		return nil, usagef(cmd, "%s", err)
	}
	return types, nil
}

// subscribe subscribes a queue to event types.
func subscribe(ctx context.Context, client *tiki.Client, code string, types []tiki.EventType) ([]tiki.Subscription, error) {
	var subs []tiki.Subscription
	for _, typ := range types {
		s, _, err := client.EventQueue.Subscribe(ctx, code, typ)
		if err != nil {
			return subs, err
		}
		subs = append(subs, *s)
	}
	return subs, nil
}

func (a *app) queueCreateCommand() *cobra.Command {
	var (
		all   bool
		types []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an event queue, and subscribe it to event types",
		Example: `  tiki queue create orders --subscribe-all
  tiki queue create stock --subscribe PRODUCT_INVENTORY_UPDATED`,
		Args: exactArgs(1, "a queue NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var subTypes []tiki.EventType
			if all || len(types) > 0 {
				var err error
				if subTypes, err = eventTypes(cmd, types, all); err != nil {
					return err
				}
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			q, _, err := client.EventQueue.CreateQueue(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := writeList(a, queueColumns, "event queues", []tiki.EventQueue{*q}); err != nil {
				return err
			}
			if len(subTypes) == 0 {
				fmt.Fprintf(a.env.Stderr, "Subscribe it to event types with: tiki queue subscribe %s --all\n", q.Code)
				return nil
			}
			subs, err := subscribe(cmd.Context(), client, q.Code, subTypes)
			if a.format() == formatTable && len(subs) > 0 {
				fmt.Fprintln(a.env.Stdout)
				if werr := writeList(a, subscriptionColumns, "subscriptions", subs); werr != nil {
					return werr
				}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&all, "subscribe-all", false, "subscribe the queue to every event type")
	cmd.Flags().StringSliceVar(&types, "subscribe", nil, "subscribe the queue to these event types: "+strings.Join(strs(tiki.EventTypes()), ", "))
	_ = cmd.RegisterFlagCompletionFunc("subscribe", fixedCompletion(strs(tiki.EventTypes())...))
	return cmd
}

func (a *app) queueSubscribeCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "subscribe QUEUE [EVENT_TYPE...]",
		Short: "Subscribe a queue (code or name) to event types",
		Example: `  tiki queue subscribe orders --all
  tiki queue subscribe orders ORDER_CREATED_SUCCESSFULLY ORDER_STATUS_UPDATED`,
		Args: minArgs(1, "a QUEUE (code or name) and event types, or --all"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return strs(tiki.EventTypes()), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && !all {
				return usagef(cmd, "name the event types to subscribe, or give --all")
			}
			types, err := eventTypes(cmd, args[1:], all)
			if err != nil {
				return err
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			q, err := findQueue(cmd.Context(), client, args[0])
			if err != nil {
				return err
			}
			subs, err := subscribe(cmd.Context(), client, q.Code, types)
			if werr := writeList(a, subscriptionColumns, "subscriptions", subs); werr != nil {
				return werr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every event type")
	return cmd
}

func (a *app) queueSubscriptionsCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "subscriptions QUEUE",
		Short:   "List the subscriptions of a queue (code or name)",
		Example: `  tiki queue subscriptions orders`,
		Args:    exactArgs(1, "a QUEUE (code or name)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := a.client(false)
			if err != nil {
				return err
			}
			q, err := findQueue(cmd.Context(), client, args[0])
			if err != nil {
				return err
			}
			subs, _, err := client.EventQueue.ListSubscriptions(cmd.Context(), q.Code)
			if err != nil {
				return err
			}
			return writeList(a, subscriptionColumns, "subscriptions", subs)
		},
	}
}

// printEvent prints an event of a queue: as Tiki sent it in JSON, a row
// of its envelope and payload in CSV, a line in a table.
func printEvent(s *stream, e *tiki.Event) error {
	var payload bytes.Buffer
	if err := json.Compact(&payload, e.Payload); err != nil {
		payload.Reset()
		payload.Write(e.Payload)
	}
	return s.emit(e, []string{e.ID, when(e.CreatedAt), string(e.Type), e.Version, e.SID, payload.String()},
		fmt.Sprintf("%-19s  %-32s  %s", cell(when(e.CreatedAt)), cell(string(e.Type)), cell(payload.String())))
}

func (a *app) queueTailCommand() *cobra.Command {
	var (
		checkpoint   string
		noCheckpoint bool
		count        int
		duration     time.Duration
		ignore       []string
	)
	cmd := &cobra.Command{
		Use:   "tail QUEUE",
		Short: "Print the events of a queue (code or name) as they come, resuming where the last run stopped",
		Long: `Consume an event queue and print every event as it comes (JSON output: one event a line, as Tiki sent it).
A batch is acknowledged only once every event of it was printed, and its place is saved in a checkpoint
file, so that a restart resumes after the last batch printed: an event is printed at least once. The
checkpoint is kept under the configuration directory, one per profile and queue (--checkpoint DIR keeps it
elsewhere). --count and --for stop the tail; otherwise Ctrl-C does.`,
		Example: `  tiki queue tail orders
  tiki queue tail orders -o json | jq .payload
  tiki queue tail orders --count 10 --ignore PRODUCT_PRICE_UPDATED,PRODUCT_MARKET_PRICE_UPDATED`,
		Args: exactArgs(1, "a QUEUE (code or name)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 || duration < 0 {
				return usagef(cmd, "--count and --for take 0 or more")
			}
			if noCheckpoint && checkpoint != "" {
				return usagef(cmd, "--checkpoint and --no-checkpoint do not go together")
			}
			ignored, err := allOf("--ignore", ignore, "an event type", tiki.EventTypes())
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			ctx, cancel := withTimeout(cmd.Context(), duration)
			defer cancel()
			q, err := findQueue(ctx, client, args[0])
			if err != nil {
				return err
			}
			cp, where, err := a.checkpoint(checkpoint, noCheckpoint)
			if err != nil {
				return err
			}
			if where != "" && a.env.StderrTerminal {
				fmt.Fprintf(a.env.Stderr, "Tailing queue %s (%s); checkpoint in %s. Ctrl-C stops.\n", q.Name, q.Code, where)
			}
			level := slog.LevelWarn
			if a.verbose {
				level = slog.LevelDebug
			}
			printer := &stream{a: a, header: []string{"id", "created_at", "type", "version", "sid", "payload"}}
			var printErr error
			opts := []eventqueue.Option{
				eventqueue.WithCheckpoint(cp),
				eventqueue.WithLogger(slog.New(slog.NewTextHandler(a.env.Stderr, &slog.HandlerOptions{Level: level}))),
				eventqueue.WithIdleWait(200*time.Millisecond, 5*time.Second),
				eventqueue.WithOnBatch(func(context.Context, eventqueue.BatchReport) {
					if count > 0 && printer.count() >= count {
						cancel()
					}
				}),
			}
			if len(ignored) > 0 {
				opts = append(opts, eventqueue.WithIgnore(ignored...))
			}
			consumer, err := eventqueue.NewConsumer(client, q.Code, opts...)
			if err != nil {
				return err
			}
			consumer.OnEvent(func(_ context.Context, e *tiki.Event) error {
				if err := printEvent(printer, e); err != nil {
					printErr = err // stdout is gone: stop without acknowledging
					cancel()
					return err
				}
				return nil
			})
			err = consumer.Run(ctx)
			if printErr != nil {
				return &cliError{code: ExitError, msg: "writing the events: " + printErr.Error(), cause: printErr}
			}
			if err != nil && cmd.Context().Err() == nil {
				return err
			}
			return cmd.Context().Err()
		},
	}
	f := cmd.Flags()
	f.StringVar(&checkpoint, "checkpoint", "", "directory of the checkpoint file (default: under the configuration directory)")
	f.BoolVar(&noCheckpoint, "no-checkpoint", false, "keep no checkpoint: a restart starts from Tiki's oldest unacknowledged batch")
	f.IntVar(&count, "count", 0, "stop after the batch that brings the Nth event (0: never)")
	f.DurationVar(&duration, "for", 0, "stop after this long, for example 30s (0: never)")
	f.StringSliceVar(&ignore, "ignore", nil, "acknowledge events of these types without printing them")
	_ = cmd.RegisterFlagCompletionFunc("ignore", fixedCompletion(strs(tiki.EventTypes())...))
	return cmd
}

// checkpoint returns the checkpoint of queue tail and where it is kept:
// in memory for the built-in fake (whose queues end with the command) and
// with --no-checkpoint, in files otherwise.
func (a *app) checkpoint(dir string, none bool) (eventqueue.Checkpoint, string, error) {
	s, err := a.resolve()
	if err != nil {
		return nil, "", err
	}
	if none || (s.profile == nil && dir == "") {
		return eventqueue.NewMemoryCheckpoint(), "", nil
	}
	if dir == "" {
		path, _, err := a.configPath()
		if err != nil {
			return nil, "", err
		}
		name := s.name
		if name == "" {
			name = "environment"
		}
		dir = filepath.Join(filepath.Dir(path), "checkpoints", name)
	}
	cp, err := eventqueue.NewFileCheckpoint(dir)
	if err != nil {
		return nil, "", &cliError{code: ExitError, msg: "opening the checkpoint: " + err.Error(), cause: err}
	}
	return cp, dir, nil
}

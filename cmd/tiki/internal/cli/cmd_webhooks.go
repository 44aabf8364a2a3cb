package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

func (a *app) webhooksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Register TikiNOW webhooks, and receive them locally",
		Long: `TikiNOW pushes stock changes, order states and aftersale cases to the URLs registered for them, each delivery
signed with a 32-character secret. The secret is the profile's webhook_secret (made and saved by register when
the profile has none) or TIKI_WEBHOOK_SECRET; it is never printed.`,
		Example: `  tiki webhooks register --url https://shop.example/webhooks/tiki --locations sgn,hn4
  tiki webhooks listen 127.0.0.1:8088`,
	}
	cmd.AddCommand(a.webhooksRegisterCommand(), a.webhooksListenCommand())
	return cmd
}

// webhookSecret returns the run's webhook secret. With create, a profile
// without one gets a new one, saved in the configuration file; the
// built-in fake gets one for the run.
func (a *app) webhookSecret(create bool) (string, error) {
	s, err := a.resolve()
	if err != nil {
		return "", err
	}
	if s.profile != nil && s.profile.WebhookSecret != "" {
		return s.profile.WebhookSecret, nil
	}
	if s.profile == nil && a.getenv(EnvWebhookSecret) != "" { // the built-in fake
		return a.getenv(EnvWebhookSecret), nil
	}
	if !create {
		return "", &cliError{code: ExitUsage, msg: "no webhook secret: set " + EnvWebhookSecret + " (32 characters, the secret given to tiki webhooks register), or use a profile whose webhook_secret register saved"}
	}
	if s.profile != nil && s.name == "" {
		return "", &cliError{code: ExitUsage, msg: "no webhook secret: set " + EnvWebhookSecret + " to 32 random characters, or use a profile (tiki config set), where register makes one and keeps it"}
	}
	secret, err := tikinow.NewSecret()
	if err != nil {
		return "", err
	}
	if s.profile == nil {
		return secret, nil
	}
	cfg, _, err := loadConfig(s.path)
	if err != nil {
		return "", err
	}
	p := cfg.Profiles[s.name]
	if p == nil {
		return "", &cliError{code: ExitError, msg: fmt.Sprintf("profile %s left %s while the command ran", s.name, s.path)}
	}
	p.WebhookSecret = secret
	if err := cfg.save(s.path); err != nil {
		return "", err
	}
	s.profile.WebhookSecret = secret
	fmt.Fprintf(a.env.Stderr, "A new webhook secret was saved in profile %s (%s); tiki webhooks listen verifies deliveries with it.\n", s.name, s.path)
	return secret, nil
}

// registration is what tiki webhooks register registered (never the
// secret).
type registration struct {
	// URL receives the deliveries.
	URL string `json:"url"`
	// Kinds are the kinds of change delivered there.
	Kinds []string `json:"kinds"`
	// Locations are the Tiki warehouses whose stock changes are delivered.
	Locations []string `json:"sync_inventory_location"`
	// PartnerID is the seller's shop id sent back with stock deliveries.
	PartnerID string `json:"external_partner_id,omitempty"`
	// RequestID is TikiNOW's id of the registration request.
	RequestID string `json:"request_id,omitempty"`
}

var registrationColumns = []column[registration]{
	{"url", "URL", func(r *registration) string { return r.URL }},
	{"kinds", "KINDS", func(r *registration) string { return strings.Join(r.Kinds, ",") }},
	{"sync_inventory_location", "LOCATIONS", func(r *registration) string { return strings.Join(r.Locations, ",") }},
	{"external_partner_id", "PARTNER", func(r *registration) string { return r.PartnerID }},
	{"request_id", "REQUEST ID", func(r *registration) string { return r.RequestID }},
}

// webhookKinds are the kinds of change TikiNOW delivers.
var webhookKinds = []string{"order", "stock", "aftersale"}

func (a *app) webhooksRegisterCommand() *cobra.Command {
	var (
		url, partner     string
		kinds, locations []string
	)
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register a URL with TikiNOW for order, stock or aftersale deliveries",
		Long: `Register a URL with TikiNOW: it then POSTs every change of the kinds given there, signed with the webhook
secret. The URL must be https (http only for loopback, for local tests); the locations are codes of Tiki
warehouses (sgn, hn4, ...) whose stock changes are delivered.`,
		Example: `  tiki webhooks register --url https://shop.example/webhooks/tiki --locations sgn,hn4
  tiki webhooks register --url https://shop.example/hooks --kinds order --locations sgn`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := allOf("--kinds", kinds, "a kind of delivery", webhookKinds)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			locs := splitList(locations)
			switch {
			case url == "":
				return usagef(cmd, "--url is required: the address TikiNOW delivers to")
			case len(locs) == 0:
				return usagef(cmd, "--locations is required: the codes of the Tiki warehouses whose stock changes are delivered (sgn, hn4, ...)")
			case len(ks) == 0:
				return usagef(cmd, "--kinds needs at least one of %s", strings.Join(webhookKinds, ", "))
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			if p := a.sess.profile; p != nil && p.Auth == authSellerKey {
				return usagef(cmd, "TikiNOW takes OAuth2 tokens, not the seller key: register with a client-credentials, oauth-app or access-token profile")
			}
			secret, err := a.webhookSecret(true)
			if err != nil {
				return err
			}
			req := &tiki.RegisterWebhooksRequest{InventoryLocations: locs, ExternalPartnerID: partner}
			target := &tiki.WebhookTarget{URL: url, SecretKey: secret}
			for _, k := range ks {
				switch k {
				case "order":
					req.Webhooks.Order = target
				case "stock":
					req.Webhooks.Stock = target
				case "aftersale":
					req.Webhooks.Aftersale = target
				}
			}
			res, _, err := client.Webhooks.Register(cmd.Context(), req)
			if err != nil {
				if errors.Is(err, tiki.ErrTikiNowURLRequired) {
					return &cliError{code: ExitUsage, cause: err, msg: "this profile does not talk to production: set its TikiNOW URL (tiki config set NAME --tikinow-url URL)"}
				}
				return err
			}
			r := registration{URL: url, Kinds: ks, Locations: locs, PartnerID: partner, RequestID: res.MetaData.RequestID}
			return writeOne(a, &r, registrationColumns, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "", "the address TikiNOW delivers to (https)")
	f.StringSliceVar(&kinds, "kinds", []string{"order", "stock"}, "kinds of change delivered there: order, stock, aftersale")
	f.StringSliceVar(&locations, "locations", nil, "codes of the Tiki warehouses whose stock changes are delivered (sgn, hn4, ...)")
	f.StringVar(&partner, "partner-id", "", "the seller's shop id or code, sent back with stock deliveries")
	_ = cmd.RegisterFlagCompletionFunc("kinds", fixedCompletion(webhookKinds...))
	return cmd
}

// delivery is one TikiNOW delivery, as tiki webhooks listen prints it.
type delivery struct {
	// Kind is stock, order, aftersale or unknown.
	Kind string `json:"kind"`
	// Event is the delivery decoded (tikinow.StockEvent, OrderStatusEvent,
	// AftersaleEvent), or the raw body of an unknown one.
	Event any `json:"event"`
}

// printDelivery prints a delivery: decoded in JSON, a row in CSV, a line
// in a table.
func printDelivery(s *stream, d delivery, date tiki.Time, order, detail string) error {
	return s.emit(d, []string{d.Kind, when(date), order, detail},
		fmt.Sprintf("%-19s  %-9s  %-12s  %s", cell(when(date)), d.Kind, cell(order), cell(detail)))
}

func (a *app) webhooksListenCommand() *cobra.Command {
	var (
		path  string
		count int
	)
	cmd := &cobra.Command{
		Use:   "listen ADDR",
		Short: "Receive TikiNOW deliveries on ADDR, verify their signature and print them (local development)",
		Long: `Serve a TikiNOW webhook receiver on ADDR (host:port; port 0 picks a free one) and print every delivery whose
signature matches the webhook secret (JSON output: one delivery a line). Forged or altered deliveries are
answered 401 and reported on stderr. Each delivery is answered 200 once printed. Ctrl-C stops, or --count.`,
		Example: `  tiki webhooks listen 127.0.0.1:8088
  tiki webhooks listen :8088 --path /webhooks/tiki -o json`,
		Args: exactArgs(1, "an ADDR to listen on (host:port)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return usagef(cmd, "--count takes 0 or more")
			}
			if !strings.HasPrefix(path, "/") {
				return usagef(cmd, "--path %q must start with /", path)
			}
			secret, err := a.webhookSecret(false)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			printer := &stream{a: a, header: []string{"kind", "date", "order_code", "detail"}}
			done := func() {
				if count > 0 && printer.count() >= count {
					cancel()
				}
			}
			receiver, err := tikinow.NewReceiver([]string{secret}, webhook.WithOnError(func(r *http.Request, err error) {
				fmt.Fprintf(a.env.Stderr, "tiki: refused a delivery from %s: %s\n", r.RemoteAddr, oneLine(err.Error()))
			}))
			if err != nil {
				return err
			}
			receiver.OnStock(func(_ context.Context, e *tikinow.StockEvent) error {
				defer done()
				return printDelivery(printer, delivery{"stock", e}, e.Date, "", fmt.Sprintf("sku %s (%s) in %s: %d salable", e.SKU, e.SellerProductCode, e.Warehouse, e.QtySalable))
			})
			receiver.OnOrderStatus(func(_ context.Context, e *tikinow.OrderStatusEvent) error {
				defer done()
				detail := strings.TrimSpace(e.MainState + " " + e.MainSubstate)
				if e.Reason != "" {
					detail += ": " + e.Reason
				}
				return printDelivery(printer, delivery{"order", e}, e.Date, e.OrderCode, detail)
			})
			receiver.OnAftersale(func(_ context.Context, e *tikinow.AftersaleEvent) error {
				defer done()
				return printDelivery(printer, delivery{"aftersale", e}, e.Date, e.OrderCode, string(e.Type)+" "+e.Status)
			})
			receiver.OnUnknown(func(_ context.Context, e *tikinow.UnknownEvent) error {
				defer done()
				return printDelivery(printer, delivery{"unknown", e.Body}, tiki.Time{}, "", string(e.Body))
			})
			ln, err := net.Listen("tcp", args[0])
			if err != nil {
				return &cliError{code: ExitUsage, msg: fmt.Sprintf("listening on %s: %v: pick another address", args[0], err), cause: err}
			}
			mux := http.NewServeMux()
			mux.Handle("POST "+path, receiver)
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(a.env.Stderr, "Listening for TikiNOW deliveries on http://%s%s (Ctrl-C stops).\n", ln.Addr(), path)
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
			defer stop()
			_ = srv.Shutdown(shutdown)
			return cmd.Context().Err()
		},
	}
	cmd.Flags().StringVar(&path, "path", "/", "the path deliveries are POSTed to")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many deliveries (0: never)")
	return cmd
}

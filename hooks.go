package tiki

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/tikisdk/tiki/internal/safe"
)

// Hooks are functions a client calls as its calls proceed, for telemetry:
// traces, metrics, logs of one's own. The module
// github.com/tikisdk/tiki/tikiotel builds OpenTelemetry spans and metrics
// on them; any other telemetry uses them the same way. Give them to a
// client with WithHooks. A client without hooks pays nothing for them.
//
// Every field may be nil. A hook runs on the goroutine of the call it
// describes (TokenRenewal on the goroutine of the token request), often on
// many goroutines at once, and the call waits for it: keep it short. A
// panic in a hook is recovered and logged (on the client's logger, or
// slog.Default() without one), and the call goes on as if the hook had
// returned.
//
// What the hooks receive holds no credential, no URL and no query: the
// endpoint is named by its path template (CallInfo.Template), which holds
// none of the call's values. Errors are the errors calls return, with the
// client's secrets masked; their text may hold what the call was about (an
// order code, a SKU, Tiki's message): record the kind of an error, not its
// text, where customer data must not go.
type Hooks struct {
	// CallStart is called when a call starts, before anything is sent. The
	// context it returns (ctx or a context derived from it, for example
	// holding a span) is the call's context from then on: the rate
	// limiter, the token request, the HTTP requests and the call's other
	// hooks receive it. A nil context keeps ctx.
	CallStart func(ctx context.Context, call CallInfo) context.Context
	// LimiterWait is called after each wait for the rate limiter: one
	// before each attempt.
	LimiterWait func(ctx context.Context, call CallInfo, wait LimiterWaitInfo)
	// Attempt is called after each HTTP request of a call, with its outcome
	// and what the client does next.
	Attempt func(ctx context.Context, call CallInfo, attempt AttemptInfo)
	// CallDone is called when the call returns, with its outcome.
	CallDone func(ctx context.Context, call CallInfo, done CallDoneInfo)
	// TokenRenewal is called after each request of the client's OAuth2
	// token (WithClientCredentials, WithOAuthApp, WithTokenSource), before
	// the calls that wait for it go on. Its ctx is the context of the call
	// that needed the token.
	TokenRenewal func(ctx context.Context, renewal TokenRenewalInfo)
}

// CallInfo names a call to the hooks; every hook of one call receives the
// same value.
type CallInfo struct {
	// Method is the HTTP method: GET, POST, PUT, PATCH or DELETE.
	Method string
	// Template is the endpoint's path template below the API's base URL,
	// each value of the path replaced by its name in braces:
	// "/v2/orders/{code}", "/v2.1/products". It holds no value of the
	// call. A call through Client.Call, whose path the SDK cannot take
	// apart, has "/" + its version + "/{path}" ("/v2/{path}"); TikiNOW's
	// webhook registration has "/register-webhooks", below TikiNOW's base
	// URL.
	Template string
	// Host is the name of the host the call goes to, without a port:
	// "api.tiki.vn".
	Host string
	// SellerID is the seller the client acts for (WithSellerID); "" when
	// not given.
	SellerID string
}

// LimiterWaitInfo is one wait for the rate limiter.
type LimiterWaitInfo struct {
	// Attempt is the number of the attempt the wait was for, from 1.
	Attempt int
	// Wait is how long the limiter held the attempt back.
	Wait time.Duration
	// Err is the limiter's error when the wait ended without a go-ahead
	// (the call's context ended): the call then fails with a
	// *RequestError and sends nothing more. Nil otherwise.
	Err error
}

// AttemptInfo is one HTTP request of a call and what the client does
// after it.
type AttemptInfo struct {
	// Attempt is the request's number in the call, from 1.
	Attempt int
	// Status is the HTTP status of the answer (for TikiNOW, the status a
	// 2xx body reported a failure with); 0 when no answer came.
	Status int
	// Duration is how long the request took, from sending it to reading
	// the answer.
	Duration time.Duration
	// Err is the error of a request that got no answer (a transport
	// failure, the call's context ending), with the client's secrets
	// masked; nil when an answer came.
	Err error
	// Retry reports that the client sends another attempt: after Wait, as
	// the retry rules allow (a 429, a 5xx or a lost connection), or at once
	// after renewing the token Tiki refused (Status 401).
	Retry bool
	// Wait is how long the client waits before the next attempt; 0 when
	// Retry is false.
	Wait time.Duration
}

// CallDoneInfo is the outcome of a call.
type CallDoneInfo struct {
	// Status is the HTTP status of the last answer (as Response.StatusCode
	// and APIError.StatusCode have it); 0 when no answer came.
	Status int
	// Attempts is how many HTTP requests the call sent.
	Attempts int
	// RequestID is Tiki's request id of the last answer, when it carries
	// one.
	RequestID string
	// Duration is how long the call took, from CallStart to its return.
	Duration time.Duration
	// Err is the error the call returns; nil when it succeeded.
	Err error
}

// TokenRenewalReason says why a client asked for an OAuth2 token.
type TokenRenewalReason string

// The reasons of a token renewal.
const (
	// TokenFirst: the client held no token yet (a WithOAuthApp client
	// takes the token it was given, while it is valid, without a request).
	TokenFirst TokenRenewalReason = "first"
	// TokenExpiring: the token held was about to expire (WithTokenRenewal).
	TokenExpiring TokenRenewalReason = "expiring"
	// TokenRefused: Tiki refused the token held (401).
	TokenRefused TokenRenewalReason = "refused"
)

// TokenRenewalInfo is one renewal of a client's OAuth2 token: one token
// request, or two when the first failed in a way worth one more try (see
// TokenError). However many calls need the token at once, a client renews
// it once.
type TokenRenewalInfo struct {
	// SellerID is the seller the client acts for (WithSellerID); "" when
	// not given.
	SellerID string
	// Reason is why the client asked for a token.
	Reason TokenRenewalReason
	// Duration is how long the renewal took.
	Duration time.Duration
	// Err is the renewal's error (a *TokenError carries the token
	// endpoint's answer), which the calls waiting for the token fail with;
	// nil when a token was obtained.
	Err error
}

// WithHooks makes the client call h as its calls proceed (see Hooks).
// Given several times, every set of hooks is called, in the order given;
// the context each CallStart returns is the next one's ctx. h must set at
// least one hook.
func WithHooks(h Hooks) Option {
	return func(c *config) {
		if h.CallStart == nil && h.LimiterWait == nil && h.Attempt == nil && h.CallDone == nil && h.TokenRenewal == nil {
			c.problems.add("WithHooks", "must set at least one hook: CallStart, LimiterWait, Attempt, CallDone or TokenRenewal")
			return
		}
		c.hooks = append(c.hooks, h)
	}
}

// WithSellerID names the seller the client acts for, as the app knows it
// (Tiki's seller id, or the app's own). The client only reports it, to the
// hooks (CallInfo.SellerID, TokenRenewalInfo.SellerID), so that the
// telemetry of an app that serves many sellers tells them apart. id must
// not be empty and must be printable.
func WithSellerID(id string) Option {
	return func(c *config) {
		switch {
		case strings.TrimSpace(id) == "":
			c.problems.add("WithSellerID", "must not be empty")
		case strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			c.problems.add("WithSellerID", "must be printable, not %q", id)
		default:
			c.sellerID = id
		}
	}
}

// callObserver reports one call to the client's hooks.
type callObserver struct {
	c        *Client
	info     CallInfo
	attempts int
}

// observed is do for a client with hooks: it reports the call's start and
// outcome, and run reports its attempts and limiter waits through the
// observer.
func (c *Client) observed(ctx context.Context, r *request, out any) (*Response, error) {
	start := time.Now()
	o := &callObserver{c: c, info: CallInfo{Method: r.method, Template: r.template(), Host: c.hostOf(r), SellerID: c.sellerID}}
	for i := range c.hooks {
		if h := c.hooks[i].CallStart; h != nil {
			c.guard(ctx, "CallStart", func() {
				if next := h(ctx, o.info); next != nil {
					ctx = next
				}
			})
		}
	}
	resp, err := c.run(ctx, r, out, o)
	done := CallDoneInfo{Attempts: o.attempts, Duration: time.Since(start), Err: err}
	if resp != nil {
		done.Status, done.RequestID = resp.StatusCode, resp.RequestID
	}
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			done.Status = apiErr.StatusCode
			if apiErr.RequestID != "" {
				done.RequestID = apiErr.RequestID
			}
		}
	}
	for i := range c.hooks {
		if h := c.hooks[i].CallDone; h != nil {
			c.guard(ctx, "CallDone", func() { h(ctx, o.info, done) })
		}
	}
	return resp, err
}

// limiterWaited reports a wait for the rate limiter.
func (o *callObserver) limiterWaited(ctx context.Context, attempt int, wait time.Duration, err error) {
	info := LimiterWaitInfo{Attempt: attempt, Wait: wait, Err: o.c.scrubError(err)}
	for i := range o.c.hooks {
		if h := o.c.hooks[i].LimiterWait; h != nil {
			o.c.guard(ctx, "LimiterWait", func() { h(ctx, o.info, info) })
		}
	}
}

// attempt reports an attempt and the verdict on it.
func (o *callObserver) attempt(ctx context.Context, attempt, status int, elapsed time.Duration, err error, v verdict) {
	o.attempts++
	info := AttemptInfo{
		Attempt:  attempt,
		Status:   status,
		Duration: elapsed,
		Err:      o.c.scrubError(err),
		Retry:    v.act == renewAndRepeat || v.act == waitAndRepeat,
		Wait:     v.wait,
	}
	for i := range o.c.hooks {
		if h := o.c.hooks[i].Attempt; h != nil {
			o.c.guard(ctx, "Attempt", func() { h(ctx, o.info, info) })
		}
	}
}

// tokenRenewed reports a token renewal (tokenCache.observe).
func (c *Client) tokenRenewed(ctx context.Context, info TokenRenewalInfo) {
	info.SellerID = c.sellerID
	for i := range c.hooks {
		if h := c.hooks[i].TokenRenewal; h != nil {
			c.guard(ctx, "TokenRenewal", func() { h(ctx, info) })
		}
	}
}

// guard runs the hook call fn, logging a panic in it instead of letting
// it end the call.
func (c *Client) guard(ctx context.Context, hook string, fn func()) {
	err := safe.Do(func() error { fn(); return nil })
	if err == nil {
		return
	}
	var pe *PanicError
	if !errors.As(err, &pe) {
		return
	}
	logger := c.logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(ctx, slog.LevelError, "tiki: a hook panicked; the call goes on",
		slog.String("hook", hook), slog.String("panic", c.redactor.String(fmt.Sprint(pe.Value))))
}

// template is the request's path template (CallInfo.Template).
func (r *request) template() string {
	route := r.route
	if route == "" {
		route = r.path
	}
	if r.base != nil {
		return "/" + route
	}
	return "/" + string(r.version) + "/" + route
}

// hostOf is the name of the host r goes to.
func (c *Client) hostOf(r *request) string {
	if r.base != nil {
		return r.base.Hostname()
	}
	return c.baseURL.Hostname()
}

// renewalReason is why a token cache holding held (nil: none) renews it;
// refused reports that Tiki refused it.
func renewalReason(held *oauth2.Token, refused bool) TokenRenewalReason {
	switch {
	case held == nil:
		return TokenFirst
	case refused:
		return TokenRefused
	}
	return TokenExpiring
}

package tiki

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/tikisdk/tiki/internal/backoff"
	"github.com/tikisdk/tiki/internal/safe"
)

// storeRenewal obtains one seller's token through a TokenStore and renews
// it there, once across every client sharing the store (WithOAuthApp
// documents the rules).
type storeRenewal struct {
	store    TokenStore
	sellerID string
	// refresh sends a refresh_token grant; sent reports whether the
	// request may have reached Tiki.
	refresh func(ctx context.Context, refreshToken string) (tok *Token, sent bool, err error)
	now     func() time.Time
}

// fetch is the tokenCache's fetchFunc: the store's token when it can be
// used, else a renewal under the seller's lock.
func (r *storeRenewal) fetch(ctx context.Context, prev *oauth2.Token, refused bool) (fetched, error) {
	cur, err := r.load(ctx)
	if err != nil {
		return fetched{}, err
	}
	if res, done, err := r.settled(cur, prev, refused); done {
		return res, err
	}
	lock, err := lockStore(ctx, r.store, r.sellerID)
	if err != nil {
		return fetched{}, err
	}
	defer unlockStore(ctx, lock)
	// Another client may have renewed while this one waited for the lock.
	if cur, err = r.load(ctx); err != nil {
		return fetched{}, err
	}
	if res, done, err := r.settled(cur, prev, refused); done {
		return res, err
	}
	return r.renew(ctx, lock, cur, prev, refused)
}

// load reads the seller's token, a panic in the store turned into a
// *PanicError.
func (r *storeRenewal) load(ctx context.Context) (*Token, error) {
	tok, err := safe.Get(func() (*Token, error) { return r.store.Load(ctx, r.sellerID) })
	if err == nil && tok == nil {
		err = fmt.Errorf("seller %q: %w", r.sellerID, ErrNoToken)
	}
	if err != nil {
		return nil, fmt.Errorf("tiki: reading seller %q's token: %w", r.sellerID, err)
	}
	return tok, nil
}

// usable reports whether t's access token may be sent at now.
func usable(t *Token, now time.Time) bool {
	return t.AccessToken != "" && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// settled returns, when no renewal is needed, what to use: the store's
// token when it is usable and not the one being replaced (another client
// renewed it), a token whose renewal is in doubt while it lasts, or a
// *GrantRevokedError.
func (r *storeRenewal) settled(cur *Token, prev *oauth2.Token, refused bool) (fetched, bool, error) {
	now := r.now()
	switch {
	case cur.Revoked != "":
		return fetched{}, true, &GrantRevokedError{SellerID: r.sellerID, Reason: cur.Revoked}
	case usable(cur, now) && (prev == nil || cur.AccessToken != prev.AccessToken):
		return fetched{tok: cur.oauth2(), keep: cur.RenewalsInDoubt > 0}, true, nil
	case usable(cur, now) && cur.RenewalsInDoubt > 0 && !refused:
		// Sending the refresh token again now could make Tiki revoke the
		// grant, access token included, while the access token still
		// works: use it until it expires or is refused.
		return fetched{tok: cur.oauth2(), keep: true}, true, nil
	}
	return fetched{}, false, nil
}

// renew renews cur under lock and saves the outcome.
func (r *storeRenewal) renew(ctx context.Context, lock TokenLock, cur *Token, prev *oauth2.Token, refused bool) (fetched, error) {
	if cur.RefreshToken == "" {
		return fetched{}, fmt.Errorf("tiki: seller %q's token has expired and has no refresh token (request the offline scope): %w",
			r.sellerID, ErrUnauthorized)
	}
	repeated := false
	for {
		// Record the renewal before sending it: if its answer never reaches
		// the store, the next renewal knows the refresh token may be spent.
		marked := cur.clone()
		marked.RenewalsInDoubt++
		marked.RenewalSent = r.now()
		if err := r.save(ctx, lock, marked, false); err != nil {
			return fetched{}, err
		}
		tok, sent, err := r.send(ctx, cur.RefreshToken)
		switch {
		case err == nil:
			// A store that does not take the new token leaves the renewal
			// in doubt there; this client uses the token meanwhile.
			_ = r.save(ctx, lock, tok, true)
			return fetched{tok: tok.oauth2()}, nil
		case refusedGrant(err):
			revoked := cur.clone()
			revoked.Revoked = revocationReason(err)
			_ = r.save(ctx, lock, revoked, true)
			return fetched{}, &GrantRevokedError{SellerID: r.sellerID, Reason: revoked.Revoked}
		case !maybeSpent(err, sent):
			// Tiki did not act on the request: the refresh token is unspent.
			_ = r.save(ctx, lock, cur, true)
			return fetched{}, err
		}
		// The answer was lost after the request may have reached Tiki.
		cur = marked
		now := r.now()
		if usable(cur, now) && !refused {
			return fetched{tok: cur.oauth2(), keep: true}, nil
		}
		if unreadableAnswer(err) || repeated {
			return fetched{}, err
		}
		// Nothing can be lost by sending the refresh token again: the
		// access token no longer works, and if the lost answer held a new
		// refresh token, it cannot be recovered.
		repeated = true
	}
}

// send sends one refresh_token grant; a failure that provably did not
// reach Tiki (or that Tiki answered as its own failure) is repeated once
// after a short pause. A request on the wire is never cancelled: its
// answer is what the next renewal needs, and the store refuses to save it
// if the lock was taken over meanwhile.
func (r *storeRenewal) send(ctx context.Context, refreshToken string) (*Token, bool, error) {
	tok, sent, err := r.refresh(ctx, refreshToken)
	if err != nil && !refusedGrant(err) && !maybeSpent(err, sent) && transientTokenError(err) && ctx.Err() == nil {
		if backoff.Sleep(ctx, tokenRetryWait) == nil {
			tok, sent, err = r.refresh(ctx, refreshToken)
		}
	}
	return tok, sent, err
}

// save stores tok under lock. With retry, a store that fails is asked
// again (after growing pauses, up to a second) until it answers, refuses
// (the lock was lost) or ctx ends: a Redis restarting must not lose a
// renewed token.
func (r *storeRenewal) save(ctx context.Context, lock TokenLock, tok *Token, retry bool) error {
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		err := safe.Do(func() error { return lock.Save(ctx, tok) })
		if err == nil {
			return nil
		}
		var ve *ValidationError
		if !retry || errors.Is(err, ErrTokenLockLost) || errors.As(err, &ve) {
			return fmt.Errorf("tiki: saving seller %q's token: %w", r.sellerID, err)
		}
		if backoff.Sleep(ctx, pause) != nil {
			return fmt.Errorf("tiki: saving seller %q's token: %w", r.sellerID, err)
		}
	}
}

// refusedGrant reports whether Tiki refused the refresh token itself.
func refusedGrant(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Code == "invalid_grant"
}

// revocationReason is what the store records of Tiki's refusal.
func revocationReason(err error) string {
	var te *TokenError
	if errors.As(err, &te) && te.Description != "" {
		return te.Code + ": " + te.Description
	}
	return "invalid_grant"
}

// maybeSpent reports whether a failed renewal may have made Tiki issue a
// new token (and spend the refresh token): it was sent, and no answer of
// Tiki's own says otherwise. An error answer from Tiki's authorization
// server issues nothing; a gateway's 502 or 504, an answer the SDK could
// not read and a connection that broke after sending are in doubt.
func maybeSpent(err error, sent bool) bool {
	if !sent {
		return false
	}
	var te *TokenError
	if errors.As(err, &te) {
		switch {
		case te.StatusCode >= 200 && te.StatusCode <= 299:
			return true // a token answer the SDK could not read
		case te.StatusCode == http.StatusBadGateway || te.StatusCode == http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return true
}

// unreadableAnswer reports a token answer the SDK could not use: Tiki
// issued a token, and repeating the request would not change the answer.
func unreadableAnswer(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.StatusCode >= 200 && te.StatusCode <= 299
}

// appRefresh returns the refresh function of a public app: one
// refresh_token grant at the app's token endpoint, reporting whether a
// connection was made for it (the request may then have reached Tiki).
func appRefresh(app OAuthApp, hc *http.Client) func(context.Context, string) (*Token, bool, error) {
	cfg := app.config()
	red := credentialRedactor(app.ClientID, app.ClientSecret)
	hc = tokenHTTPClient(hc)
	return func(ctx context.Context, refreshToken string) (*Token, bool, error) {
		var sent atomic.Bool
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { sent.Store(true) }}
		ctx = httptrace.WithClientTrace(context.WithValue(ctx, oauth2.HTTPClient, hc), trace)
		red.AddDynamic(refreshToken)
		// An expired copy makes the oauth2 package refresh at once.
		expired := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
		tok, err := cfg.TokenSource(ctx, expired).Token()
		if err != nil {
			return nil, sent.Load(), tokenError(err, red)
		}
		return tokenOf(tok, app.Scopes), true, nil
	}
}

// tokenOf converts a token answer; scope is Tiki's "scope", or the scopes
// requested when the answer has none.
func tokenOf(t *oauth2.Token, requested []string) *Token {
	scope, _ := t.Extra("scope").(string)
	if scope == "" {
		scope = strings.Join(requested, " ")
	}
	return &Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry, Scope: scope}
}

// oauth2 returns t as the client's cache holds tokens.
func (t *Token) oauth2() *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer", RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

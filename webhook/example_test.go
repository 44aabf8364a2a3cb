package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/webhook"
)

// An Endpoint assembles the pipeline of a receiver: here one that checks a
// static header and handles every body once.
func ExampleEndpoint() {
	e := &webhook.Endpoint{
		Authorize: func(r *http.Request) error {
			if !webhook.SecretEqual(r.Header.Get("X-Hook-Token"), "s3cr3t") {
				return errors.New("bad X-Hook-Token")
			}
			return nil
		},
		Decode: func(_ *http.Request, body []byte) (webhook.Delivery, error) {
			return webhook.Delivery{
				Key: "example:" + webhook.BodyKey(body),
				Handle: func(context.Context) error {
					fmt.Printf("handling %s\n", body)
					return nil
				},
			}, nil
		},
		Dedupe: dedupe.Runner{Store: new(dedupe.MemoryStore)},
		OnError: func(_ *http.Request, err error) {
			fmt.Println("error:", err)
		},
	}

	for _, token := range []string{"s3cr3t", "s3cr3t", "guess"} {
		r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(`{"n":1}`))
		r.Header.Set("X-Hook-Token", token)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// handling {"n":1}
	// 200 {"success":true}
	// 200 {"success":true}
	// error: webhook: unauthorized: bad X-Hook-Token
	// 401 {"success":false,"error":"Unauthorized"}
}

// Two replicas of a service behind a load balancer share one store (here
// in memory; Redis or a database in production): a copy of a delivery
// that reaches the other replica is acknowledged without running its
// handler again.
func ExampleWithDedupe() {
	shared := new(dedupe.MemoryStore)
	replica := func(name string) *webhook.Endpoint {
		e := &webhook.Endpoint{
			Decode: func(_ *http.Request, body []byte) (webhook.Delivery, error) {
				return webhook.Delivery{
					Key: "example:" + webhook.BodyKey(body),
					Handle: func(context.Context) error {
						fmt.Println(name, "handles", string(body))
						return nil
					},
				}, nil
			},
		}
		if err := e.Configure(nil, webhook.WithDedupe(shared), webhook.WithDedupeTTL(time.Minute, 24*time.Hour)); err != nil {
			panic(err)
		}
		return e
	}
	a, b := replica("a"), replica("b")

	for _, e := range []*webhook.Endpoint{a, b} {
		r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(`{"order":"A1"}`))
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// a handles {"order":"A1"}
	// 200
	// 200
}

// ParseTime reads the timestamps webhook senders write, with or without a
// zone; those without one are read in the location given.
func ExampleParseTime() {
	vietnam := time.FixedZone("ICT", 7*60*60)
	for _, s := range []string{"2021-04-07T06:06:46.494Z", "2023-05-01T10:00:00+07:00", "2023-05-01 10:00:00", "2023-05-01"} {
		t, err := webhook.ParseTime(s, vietnam)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t.UTC().Format(time.RFC3339Nano))
	}
	_, err := webhook.ParseTime("yesterday", nil)
	fmt.Println(err != nil)
	// Output:
	// 2021-04-07T06:06:46.494Z
	// 2023-05-01T03:00:00Z
	// 2023-05-01T03:00:00Z
	// 2023-04-30T17:00:00Z
	// true
}

package tiki_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// fakeTiki starts the in-process fake Tiki the examples run against; real
// code uses tiki.WithEnvironment or leaves the default (production).
func fakeTiki() (*tikitest.Server, func()) {
	srv, err := tikitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	return srv, srv.Close
}

func ExampleNewClient() {
	client, err := tiki.NewClient(
		tiki.WithEnvironment(tiki.Sandbox),
		tiki.WithClientCredentials(tiki.ClientCredentials{
			ClientID:     "your-client-id",
			ClientSecret: "your-client-secret",
			Scopes:       []string{tiki.ScopeProduct, tiki.ScopeOrder},
			AuthStyle:    tiki.AuthStyleBasic,
		}),
		tiki.WithRetry(4, 500*time.Millisecond, 30*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL())
	// Output: https://api-sandbox.tiki.vn/integration
}

func ExampleCatalogService_Categories() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithSellerKey(srv.SellerKey()))
	if err != nil {
		log.Fatal(err)
	}

	cats, _, err := client.Catalog.Categories(context.Background(), &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cats {
		fmt.Println(c.ID, c.Name)
	}
	// Output:
	// 6445 Magazines
	// 218 Medical Books
}

func ExampleCatalogService_AllAttributeValues() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}

	n := 0
	opts := &tiki.AttributeValuesOptions{Query: "phong", ListOptions: tiki.ListOptions{Limit: 5}}
	for value, err := range client.Catalog.AllAttributeValues(context.Background(), 540, opts) {
		if err != nil {
			log.Fatal(err)
		}
		if n < 2 {
			fmt.Println(value.ID, value.Value)
		}
		n++
	}
	fmt.Println(n, "values")
	// Output:
	// 4509607 Báo Thiếu Niên Tiền Phong
	// 704931 BÁO TIỀN PHONG
	// 11 values
}

// Errors from Tiki are *tiki.APIError (status, Tiki's messages, request id,
// attempts); errors.Is matches them against the sentinels.
func ExampleAPIError() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}

	_, _, err = client.Catalog.Category(context.Background(), 424242, nil)

	var apiErr *tiki.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("status:", apiErr.StatusCode)
		fmt.Println("messages:", apiErr.Messages)
		fmt.Println("attempts:", apiErr.Attempts)
	}
	fmt.Println("not found:", errors.Is(err, tiki.ErrNotFound))

	var rateErr *tiki.RateLimitError
	if errors.As(err, &rateErr) {
		fmt.Println("retry after", rateErr.RetryAfter)
	}

	// Arguments that break a documented rule never reach Tiki.
	_, _, err = client.Catalog.AttributeValues(context.Background(), 0, &tiki.AttributeValuesOptions{
		ListOptions: tiki.ListOptions{Limit: 1000},
	})
	var invalid *tiki.ValidationError
	if errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			fmt.Println("invalid:", p.Field, p.Problem)
		}
	}
	// Output:
	// status: 404
	// messages: [Category not found id: 424242]
	// attempts: 1
	// not found: true
	// invalid: attribute_id must be a positive id
	// invalid: limit must be between 1 and 100
}

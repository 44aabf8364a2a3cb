// Command quickstart browses Tiki's catalog: it lists the primary
// categories (where products can be listed) and the attributes of one.
//
//	go run ./examples/quickstart
//
// With no credentials in the environment it runs against the built-in fake
// Tiki. Set TIKI_ACCESS_TOKEN, or TIKI_CLIENT_ID and TIKI_CLIENT_SECRET (and
// TIKI_ENV=sandbox|production, default sandbox) to talk to Tiki itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/examples/internal/setup"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	client, target, closeFake, err := setup.Client()
	if err != nil {
		return err
	}
	defer closeFake()
	fmt.Println("Talking to", target)

	cats, _, err := client.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)})
	if err != nil {
		return fmt.Errorf("listing categories: %w", err)
	}
	fmt.Printf("\n%d primary categories", len(cats))
	const shown = 10
	if len(cats) > shown {
		fmt.Printf(" (first %d)", shown)
	}
	fmt.Println(":")
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tNAME\tPARENT\tLISTING")
	for i, c := range cats {
		if i == shown {
			break
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%v\n", c.ID, c.Name, c.ParentID, c.IsProductListingEnabled)
	}
	tw.Flush()

	var pick *tiki.Category
	for i := range cats {
		if cats[i].IsProductListingEnabled {
			pick = &cats[i]
			break
		}
	}
	if pick == nil {
		return errors.New("no primary category accepts product listings")
	}

	attrs, _, err := client.Catalog.ListAttributes(ctx, pick.ID)
	if err != nil {
		return fmt.Errorf("listing attributes of %d: %w", pick.ID, err)
	}
	fmt.Printf("\nAttributes of %q (%d):\n", pick.Name, pick.ID)
	tw = tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CODE\tNAME\tINPUT\tREQUIRED")
	for _, a := range attrs {
		name := a.DisplayNameEN
		if name == "" {
			name = a.DisplayName
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%v\n", a.Code, name, a.InputType, a.IsRequired)
	}
	tw.Flush()
	return nil
}

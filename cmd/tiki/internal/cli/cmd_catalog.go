package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
)

var categoryColumns = []column[tiki.Category]{
	{"id", "ID", func(c *tiki.Category) string { return itoa(c.ID) }},
	{"name", "NAME", func(c *tiki.Category) string { return c.Name }},
	{"parent_id", "PARENT", func(c *tiki.Category) string { return zeroDash(c.ParentID) }},
	{"is_primary", "PRIMARY", func(c *tiki.Category) string { return yesNo(c.IsPrimary) }},
	{"is_product_listing_enabled", "LISTING", func(c *tiki.Category) string { return yesNo(c.IsProductListingEnabled) }},
}

var attributeColumns = []column[tiki.Attribute]{
	{"id", "ID", func(at *tiki.Attribute) string { return itoa(at.ID) }},
	{"code", "CODE", func(at *tiki.Attribute) string { return at.Code }},
	{"display_name_en", "NAME", func(at *tiki.Attribute) string {
		if at.DisplayNameEN != "" {
			return at.DisplayNameEN
		}
		return at.DisplayName
	}},
	{"input_type", "INPUT", func(at *tiki.Attribute) string { return string(at.InputType) }},
	{"data_type", "TYPE", func(at *tiki.Attribute) string { return at.DataType }},
	{"is_required", "REQUIRED", func(at *tiki.Attribute) string { return yesNo(at.IsRequired) }},
}

var valueColumns = []column[tiki.AttributeValue]{
	{"id", "ID", func(v *tiki.AttributeValue) string { return itoa(v.ID) }},
	{"value", "VALUE", func(v *tiki.AttributeValue) string { return v.Value }},
	{"attribute_code", "ATTRIBUTE", func(v *tiki.AttributeValue) string { return v.AttributeCode }},
}

var documentColumns = []column[tiki.Document]{
	{"id", "ID", func(d *tiki.Document) string { return itoa(d.ID) }},
	{"name", "DOCUMENT", func(d *tiki.Document) string { return d.Name }},
	{"position", "POSITION", func(d *tiki.Document) string { return itoa(d.Position) }},
}

var brandColumns = []column[tiki.Brand]{
	{"name", "BRAND", func(b *tiki.Brand) string { return b.Name }},
	{"is_active", "ACTIVE", func(b *tiki.Brand) string { return yesNo(b.IsActive) }},
	{"is_document_required", "DOCUMENTS REQUIRED", func(b *tiki.Brand) string { return yesNo(b.IsDocumentRequired) }},
}

func (a *app) catalogCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Search categories, show their attributes and the documents they require",
		Long: `Tiki's catalog: a product belongs to a primary category with product listing enabled, and carries the
attributes that category lists (by code); some categories and brands require documents.`,
		Example: `  tiki catalog search "sách" --primary
  tiki catalog attributes 218
  tiki catalog documents 218`,
	}
	cmd.AddCommand(a.catalogCategoriesCommand(), a.catalogCategoryCommand(), a.catalogAttributesCommand(),
		a.catalogValuesCommand(), a.catalogDocumentsCommand(), a.catalogBrandsCommand())
	return cmd
}

// idArg reads a positive id argument.
func idArg(cmd *cobra.Command, s, what string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef(cmd, "%s %q is not an id: give a positive whole number", what, s)
	}
	return id, nil
}

func (a *app) catalogCategoriesCommand() *cobra.Command {
	var (
		opts    tiki.CategoriesOptions
		primary bool
		cross   bool
	)
	cmd := &cobra.Command{
		Use:     "categories [NAME]",
		Aliases: []string{"search"},
		Short:   "Search Tiki's categories by name, parent or kind",
		Long: `Search Tiki's category tree: by a text the name holds (NAME, or --name), by parent (--parent), primary
categories only (--primary: where products are listed). tiki catalog search NAME is the same command.`,
		Example: `  tiki catalog search "sách" --primary
  tiki catalog categories --name "sách" --primary
  tiki catalog categories --parent 8322`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef(cmd, "%s takes one NAME to search for, got %d: quote a name of several words", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if opts.Name != "" {
					return usagef(cmd, "give the name to search for as NAME or --name, not both")
				}
				opts.Name = args[0]
			}
			if cmd.Flags().Changed("primary") {
				opts.IsPrimary = &primary
			}
			if cmd.Flags().Changed("cross-border") {
				opts.IsCrossBorder = &cross
			}
			if opts.Parent < 0 {
				return usagef(cmd, "--parent %d is not a category id", opts.Parent)
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			cats, _, err := client.Catalog.ListCategories(cmd.Context(), &opts)
			if err != nil {
				return err
			}
			return writeList(a, categoryColumns, "categories", cats)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Name, "name", "", "keep categories whose name holds this text")
	f.Int64Var(&opts.Parent, "parent", 0, "keep the children of this category")
	f.BoolVar(&primary, "primary", false, "--primary keeps primary categories (where products are listed), --primary=false the others")
	f.BoolVar(&cross, "cross-border", false, "cross-border categories")
	return cmd
}

func (a *app) catalogCategoryCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "category ID",
		Short:   "Show one category with its ancestors",
		Example: `  tiki catalog category 218`,
		Args:    exactArgs(1, "a category ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg(cmd, args[0], "category")
			if err != nil {
				return err
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			cat, _, err := client.Catalog.GetCategory(cmd.Context(), id, &tiki.CategoryOptions{IncludeParents: true})
			if err != nil {
				return notFound(err, "category "+args[0], "tiki catalog categories")
			}
			return writeOne(a, cat, categoryColumns, func(w io.Writer) error {
				if len(cat.Parents) == 0 {
					return nil
				}
				fmt.Fprintln(w, "\nAncestors:")
				return writeListTo(a, w, categoryColumns, "ancestors", cat.Parents)
			})
		},
	}
}

func (a *app) catalogAttributesCommand() *cobra.Command {
	var required bool
	cmd := &cobra.Command{
		Use:   "attributes CATEGORY_ID",
		Short: "List the attributes a product of a category carries (codes, input types, required ones)",
		Example: `  tiki catalog attributes 218
  tiki catalog attributes 218 --required -o json`,
		Args: exactArgs(1, "a CATEGORY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg(cmd, args[0], "category")
			if err != nil {
				return err
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			attrs, _, err := client.Catalog.ListAttributes(cmd.Context(), id)
			if err != nil {
				return notFound(err, "category "+args[0], "tiki catalog categories")
			}
			if required {
				kept := attrs[:0]
				for _, at := range attrs {
					if at.IsRequired {
						kept = append(kept, at)
					}
				}
				attrs = kept
			}
			return writeList(a, attributeColumns, "attributes", attrs)
		},
	}
	cmd.Flags().BoolVar(&required, "required", false, "only the attributes a product request must give")
	return cmd
}

func (a *app) catalogValuesCommand() *cobra.Command {
	var (
		query string
		all   bool
		page  int
		limit int
	)
	cmd := &cobra.Command{
		Use:   "values ATTRIBUTE_ID",
		Short: "List the allowed values of a select attribute",
		Example: `  tiki catalog values 540 --query phong
  tiki catalog values 540 --all -o csv`,
		Args: exactArgs(1, "an ATTRIBUTE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg(cmd, args[0], "attribute")
			if err != nil {
				return err
			}
			lo, err := listOptions(page, limit, true)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			if err := walkArgs(cmd, all, page); err != nil {
				return err
			}
			src := attributeValueSource(cmd.Context(), client, id, &tiki.AttributeValuesOptions{Query: query, ListOptions: lo})
			return notFound(src.print(a, valueColumns, all), "attribute "+args[0], "tiki catalog attributes CATEGORY_ID")
		},
	}
	cmd.Flags().StringVar(&query, "query", "", "keep values holding this text")
	cmd.Flags().BoolVar(&all, "all", false, "walk every page")
	cmd.Flags().IntVar(&page, "page", 0, "the page to read, from 1")
	cmd.Flags().IntVar(&limit, "limit", 0, "values per page, 1 to 100")
	return cmd
}

func (a *app) catalogDocumentsCommand() *cobra.Command {
	var brand int64
	cmd := &cobra.Command{
		Use:   "documents CATEGORY_ID",
		Short: "List the documents a product request of a category (and brand) must attach",
		Example: `  tiki catalog documents 218
  tiki catalog documents 218 --brand 1234 -o json`,
		Args: exactArgs(1, "a CATEGORY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg(cmd, args[0], "category")
			if err != nil {
				return err
			}
			if brand < 0 {
				return usagef(cmd, "--brand %d is not a list data id", brand)
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			docs, _, err := client.Catalog.GetRequiredDocuments(cmd.Context(), tiki.RequiredDocumentsOptions{CategoryID: id, BrandListDataID: brand})
			if err != nil {
				return notFound(err, "category "+args[0], "tiki catalog categories")
			}
			if a.format() == formatJSON {
				return writeJSON(a.env.Stdout, docs)
			}
			if err := writeList(a, documentColumns, "documents required by the category", docs.Category); err != nil {
				return err
			}
			if docs.BrandIsRequired && a.format() == formatTable {
				fmt.Fprintln(a.env.Stderr, "The brand's own documents are required too.")
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&brand, "brand", 0, "the list data id of the product's brand")
	return cmd
}

func (a *app) catalogBrandsCommand() *cobra.Command {
	var (
		page, limit int
		all         bool
	)
	cmd := &cobra.Command{
		Use:   "brands NAME",
		Short: "Search Tiki's brands by name",
		Example: `  tiki catalog brands apple
  tiki catalog brands "thiên long" --all -o csv`,
		Args: exactArgs(1, "a brand NAME to search for"),
		RunE: func(cmd *cobra.Command, args []string) error {
			lo, err := listOptions(page, limit, true)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			if err := walkArgs(cmd, all, page); err != nil {
				return err
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			return brandSource(cmd.Context(), client, &tiki.BrandsOptions{Name: args[0], ListOptions: lo}).print(a, brandColumns, all)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "walk every page")
	cmd.Flags().IntVar(&page, "page", 0, "the page to read, from 1")
	cmd.Flags().IntVar(&limit, "limit", 0, "brands per page, 1 to 100")
	return cmd
}

package tiki

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each deprecated name sends the same request as the name that replaces it.
func TestDeprecatedNamesSendTheSameRequest(t *testing.T) {
	t.Parallel()
	type call = func(ctx context.Context, c *Client) error
	cases := []struct {
		old, new string
		oldCall  call
		newCall  call
	}{
		{"Catalog.Categories", "Catalog.ListCategories",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.Categories(ctx, &CategoriesOptions{Name: "book", Parent: 8322})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListCategories(ctx, &CategoriesOptions{Name: "book", Parent: 8322})
				return err
			}},
		{"Catalog.Category", "Catalog.GetCategory",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.Category(ctx, 8322, &CategoryOptions{IncludeParents: true})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.GetCategory(ctx, 8322, &CategoryOptions{IncludeParents: true})
				return err
			}},
		{"Catalog.Attributes", "Catalog.ListAttributes",
			func(ctx context.Context, c *Client) error { _, _, err := c.Catalog.Attributes(ctx, 8322); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListAttributes(ctx, 8322)
				return err
			}},
		{"Catalog.AttributeValues", "Catalog.ListAttributeValues",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.AttributeValues(ctx, 540, &AttributeValuesOptions{Query: "a", ListOptions: ListOptions{Page: 2}})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListAttributeValues(ctx, 540, &AttributeValuesOptions{Query: "a", ListOptions: ListOptions{Page: 2}})
				return err
			}},
		{"Catalog.OptionLabels", "Catalog.ListOptionLabels",
			func(ctx context.Context, c *Client) error { _, _, err := c.Catalog.OptionLabels(ctx, 8322); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListOptionLabels(ctx, 8322)
				return err
			}},
		{"Catalog.Brands", "Catalog.ListBrands",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.Brands(ctx, &BrandsOptions{Name: "Apple", ListOptions: ListOptions{Limit: 5}})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListBrands(ctx, &BrandsOptions{Name: "Apple", ListOptions: ListOptions{Limit: 5}})
				return err
			}},
		{"Catalog.RequiredDocuments", "Catalog.GetRequiredDocuments",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.RequiredDocuments(ctx, RequiredDocumentsOptions{CategoryID: 8322, BrandListDataID: 7})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.GetRequiredDocuments(ctx, RequiredDocumentsOptions{CategoryID: 8322, BrandListDataID: 7})
				return err
			}},
		{"Warehouses.Tiki", "Warehouses.ListTiki",
			func(ctx context.Context, c *Client) error { _, _, err := c.Warehouses.Tiki(ctx); return err },
			func(ctx context.Context, c *Client) error { _, _, err := c.Warehouses.ListTiki(ctx); return err }},
		{"Warehouses.Seller", "Warehouses.ListSeller",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Warehouses.Seller(ctx, &SellerWarehousesOptions{WarehouseCode: "hn"})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Warehouses.ListSeller(ctx, &SellerWarehousesOptions{WarehouseCode: "hn"})
				return err
			}},
		{"Warehouses.SellerInventories", "Warehouses.ListSellerInventories",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Warehouses.SellerInventories(ctx, "sgn", "hn")
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Warehouses.ListSellerInventories(ctx, "sgn", "hn")
				return err
			}},
		{"Sellers.Me", "Sellers.Get",
			func(ctx context.Context, c *Client) error { _, _, err := c.Sellers.Me(ctx); return err },
			func(ctx context.Context, c *Client) error { _, _, err := c.Sellers.Get(ctx); return err }},
		{"Sellers.Warehouses", "Sellers.ListWarehouses",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Sellers.Warehouses(ctx, &SellerWarehouseListOptions{Active: Ptr(true)})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Sellers.ListWarehouses(ctx, &SellerWarehouseListOptions{Active: Ptr(true)})
				return err
			}},
		{"Products.Hidden", "Products.ListHidden",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Products.Hidden(ctx, &HiddenProductsOptions{Name: "x"})
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Products.ListHidden(ctx, &HiddenProductsOptions{Name: "x"})
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.old, func(t *testing.T) {
			t.Parallel()
			sameRequest(t, nil, tc.oldCall, tc.newCall)
		})
	}
}

func TestRejectionErrorIsAnError(t *testing.T) {
	t.Parallel()
	r := ParseRejection(`{"errors":[{"code":420,"description":"duplicated","msg":"Mã seller product không duy nhất","msg_eng":"Seller product code is not unique"},` +
		`{"code":421,"msg":"Thiếu ảnh"}],"message":"Mã seller product không duy nhất"}`)
	require.NotNil(t, r)
	require.Len(t, r.Errors, 2)

	var err error = r.Errors[0]
	assert.Equal(t, "tiki: rejected (code 420): Seller product code is not unique", err.Error())
	// Without an English message, the Vietnamese one is used.
	assert.Equal(t, "tiki: rejected (code 421): Thiếu ảnh", r.Errors[1].Error())

	wrapped := fmt.Errorf("listing SKU-1: %w", r.Errors[0])
	var re RejectionError
	require.True(t, errors.As(wrapped, &re))
	assert.Equal(t, 420, re.Code)
	var rp *RejectionError
	require.True(t, errors.As(fmt.Errorf("listing: %w", &r.Errors[1]), &rp))
	assert.Equal(t, 421, rp.Code)
}

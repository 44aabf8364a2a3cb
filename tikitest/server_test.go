package tikitest_test

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

func TestEmbeddedDataMatchesFixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("data/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		embedded, err := os.ReadFile(f)
		require.NoError(t, err)
		fixture, err := os.ReadFile(filepath.Join("..", "testdata", filepath.Base(f)))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(embedded, fixture), "%s differs from ../testdata: copy it again", f)
	}
	_, err = fs.Stat(os.DirFS("data"), "categories_list.json")
	require.NoError(t, err)
}

func TestCatalogThroughSDK(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()

	primary, _, err := c.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)})
	require.NoError(t, err)
	require.Len(t, primary, 2)
	assert.Equal(t, "Magazines", primary[0].Name)
	assert.Equal(t, "Medical Books", primary[1].Name)

	named, _, err := c.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{Name: "BOOK", Parent: 320})
	require.NoError(t, err)
	var names []string
	for _, cat := range named {
		names = append(names, cat.Name)
	}
	assert.Equal(t, []string{"Children's Books", "Medical Books", "Cookbooks, Food & Wine"}, names)

	cat, _, err := c.Catalog.GetCategory(ctx, 20, &tiki.CategoryOptions{IncludeParents: true})
	require.NoError(t, err)
	assert.Len(t, cat.Parents, 5)
	cat, _, err = c.Catalog.GetCategory(ctx, 20, nil)
	require.NoError(t, err)
	assert.Empty(t, cat.Parents)

	_, _, err = c.Catalog.GetCategory(ctx, 999999, nil)
	require.ErrorIs(t, err, tiki.ErrNotFound)

	attrs, _, err := c.Catalog.ListAttributes(ctx, 218)
	require.NoError(t, err)
	assert.Len(t, attrs, 4)

	labels, _, err := c.Catalog.ListOptionLabels(ctx, 218)
	require.NoError(t, err)
	assert.Len(t, labels, 5)

	whs, _, err := c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	assert.Len(t, whs, 11)

	docs, _, err := c.Catalog.GetRequiredDocuments(ctx, tiki.RequiredDocumentsOptions{CategoryID: 1975})
	require.NoError(t, err)
	assert.Len(t, docs.Category, 3)

	brands, _, err := c.Catalog.ListBrands(ctx, &tiki.BrandsOptions{Name: "applew"})
	require.NoError(t, err)
	assert.Equal(t, []tiki.Brand{{Name: "Appleware", IsActive: true, IsDocumentRequired: true}}, brands.Data)
}

// The v1 catalog answers in v1's shapes (a bare list, parent and primary
// as 0 or 1, attributes in the detail), which the SDK decodes into the same
// types as v2's.
func TestCatalogV1ThroughSDK(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := context.Background()

	for _, opts := range []struct {
		v1 *tiki.CategoriesOptionsV1
		v2 *tiki.CategoriesOptions
	}{
		{nil, nil},
		{&tiki.CategoriesOptionsV1{IsPrimary: tiki.Ptr(true)}, &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)}},
		{&tiki.CategoriesOptionsV1{Name: "BOOK", Parent: 320}, &tiki.CategoriesOptions{Name: "BOOK", Parent: 320}},
	} {
		old, _, err := c.V1.Catalog.ListCategories(ctx, opts.v1)
		require.NoError(t, err)
		cur, _, err := c.Catalog.ListCategories(ctx, opts.v2)
		require.NoError(t, err)
		require.Len(t, old, len(cur))
		for i := range cur {
			assert.Equal(t, cur[i].ID, old[i].ID)
			assert.Equal(t, cur[i].Name, old[i].Name)
			assert.Equal(t, cur[i].ParentID, old[i].ParentID)
			assert.Equal(t, cur[i].IsPrimary, old[i].IsPrimary)
		}
	}
	_, _, err = c.V1.Catalog.ListCategories(ctx, &tiki.CategoriesOptionsV1{Lang: "vi"})
	require.NoError(t, err)

	cat, _, err := c.V1.Catalog.GetCategory(ctx, 20)
	require.NoError(t, err)
	assert.Equal(t, int64(20), cat.ID)
	assert.NotEmpty(t, cat.Attributes, "the v1 detail lists the category's attributes")
	_, _, err = c.V1.Catalog.GetCategory(ctx, 999999)
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, srv.URL+"/v1/categories/999999", apiErr.URL)
}

func TestAttributeValuesPaged(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	c, err := srv.Client()
	require.NoError(t, err)
	page, _, err := c.Catalog.ListAttributeValues(context.Background(), 540, &tiki.AttributeValuesOptions{ListOptions: tiki.ListOptions{Page: 2, Limit: 6}})
	require.NoError(t, err)
	assert.Equal(t, tiki.Paging{Total: 20, PerPage: 6, CurrentPage: 2, LastPage: 4, From: 7, To: 12}, page.Paging)
	assert.Len(t, page.Data, 6)

	var n int
	for _, err := range c.Catalog.AllAttributeValues(context.Background(), 540, &tiki.AttributeValuesOptions{ListOptions: tiki.ListOptions{Limit: 7}}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 20, n)
}

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	ctx := context.Background()

	for name, opt := range map[string]tiki.Option{
		"seller key":         tiki.WithSellerKey(srv.SellerKey()),
		"access token":       tiki.WithAccessToken(srv.AccessToken()),
		"client credentials": tiki.WithClientCredentials(srv.ClientCredentials()),
	} {
		c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), opt)
		require.NoError(t, err)
		_, _, err = c.Warehouses.ListTiki(ctx)
		require.NoError(t, err, name)
	}

	postSrv := tikitest.NewServer(t, tikitest.WithClientAuthStyle(tiki.AuthStylePost))
	post := postSrv.ClientCredentials()
	assert.Equal(t, tiki.AuthStylePost, post.AuthStyle)
	c, err := tiki.NewClient(tiki.WithBaseURL(postSrv.URL), tiki.WithClientCredentials(post))
	require.NoError(t, err)
	_, _, err = c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)

	for name, opt := range map[string]tiki.Option{
		"wrong key":   tiki.WithSellerKey("nope-nope"),
		"wrong token": tiki.WithAccessToken("nope-nope"),
	} {
		c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), opt)
		require.NoError(t, err)
		_, _, err = c.Warehouses.ListTiki(ctx)
		require.ErrorIs(t, err, tiki.ErrUnauthorized, name)
	}

	wrong := srv.ClientCredentials()
	wrong.ClientSecret = "wrong-secret"
	c, err = tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithClientCredentials(wrong))
	require.NoError(t, err)
	_, _, err = c.Warehouses.ListTiki(ctx)
	var te *tiki.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "invalid_client", te.Code)

	code, _, body := ordRaw(t, http.MethodGet, srv.URL+"/v2/warehouses/tiki", "", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.JSONEq(t, `{"errors":["Token is missing"]}`, body)
}

func TestExpiredTokenRenewedBySDK(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithClientCredentials(srv.ClientCredentials()))
	require.NoError(t, err)
	ctx := context.Background()
	_, _, err = c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	srv.ExpireTokens()
	_, resp, err := c.Warehouses.ListTiki(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts, "401, new token, repeat")
	assert.Equal(t, 3, srv.Requests())
}

func TestTokenTTL(t *testing.T) {
	t.Parallel()
	now := time.Now()
	srv := tikitest.NewServer(t, tikitest.WithTokenTTL(time.Minute), tikitest.WithClock(func() time.Time { return now }))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/sc/oauth2/token", bytes.NewBufferString("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(tikitest.DefaultClientID, tikitest.DefaultClientSecret)
	srv.Handler().ServeHTTP(rec, req)
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), `"expires_in":60`)
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	h, err := tikitest.NewHandler()
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/integration/v9/nothing", nil)
	req.Header.Set("tiki-api", tikitest.DefaultSellerKey)
	h.ServeHTTP(rec, req)
	assert.Equal(t, 404, rec.Code)
	assert.JSONEq(t, `{"errors":["No route found for GET /integration/v9/nothing"]}`, rec.Body.String())
}

func TestBadParameters(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	for _, path := range []string{
		"/v2/categories?parent=x",
		"/v2/categories?isPrimary=maybe",
		"/v2/brands",
		"/v2/requests/requiredDocs",
		"/v2/attributes/540/values?limit=500",
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("tiki-api", srv.SellerKey())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 400, resp.StatusCode, path)
	}
}

// Close frees the fake's address before it returns, even right after
// Start: the address can be listened on again at once, as a test that
// restarts a fake on a fixed port does.
func TestCloseFreesTheAddress(t *testing.T) {
	t.Parallel()
	for i := range 10 {
		srv, err := tikitest.Start()
		require.NoError(t, err)
		addr := strings.TrimPrefix(srv.Host, "http://")
		srv.Close()
		again, err := tikitest.Listen(addr)
		require.NoError(t, err, "run %d: the address of a closed fake is still in use", i)
		again.Close()
		again.Close() // twice is harmless
	}
}

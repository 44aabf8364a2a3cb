package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/tikitest"
)

// needTool returns the path of a command the test needs. Outside CI a
// missing tool skips the test; under CI=true it fails it, since CI installs
// the tools.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true but was not found: %v", name, err)
	}
	t.Skipf("skipping: %s is not installed (%v); install it to run this test (CI installs it)", name, err)
	return ""
}

// startFake builds the tikifake binary, starts it on a free loopback port
// and returns its integration API base URL. The server is stopped with
// SIGINT when the test ends.
func startFake(t *testing.T) string {
	t.Helper()
	goTool := needTool(t, "go")
	bin := filepath.Join(t.TempDir(), "tikifake")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			assert.NoError(t, err, "tikifake should exit cleanly on SIGINT")
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("tikifake did not stop within 10 s of SIGINT")
		}
	})

	// The banner names the URL the server listens on.
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "integration API:"); ok && !sent {
				found <- strings.TrimSpace(u)
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		require.True(t, ok, "tikifake exited without printing its URL")
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("tikifake did not print its URL within 30 s")
	}
	return ""
}

// curl runs curl with the fake's access token and returns its output.
func curl(t *testing.T, curlPath string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"--silent", "--show-error", "--fail-with-body", "--max-time", "20",
		"-H", "Authorization: Bearer " + tikitest.DefaultAccessToken}
	out, err := exec.CommandContext(ctx, curlPath, append(base, args...)...).Output()
	if err != nil {
		var exitErr *exec.ExitError
		stderr := []byte(nil)
		if errors.As(err, &exitErr) {
			stderr = exitErr.Stderr
		}
		t.Fatalf("curl %v: %v: %s %s", args, err, out, stderr)
	}
	return out
}

// The fake binary answers /integration/v2/orders in Tiki's v2 order shape,
// checked with curl as an integrator in another language would.
func TestCurlOrdersV2(t *testing.T) {
	curlPath := needTool(t, "curl")
	api := startFake(t)

	// A mock order of each operation model.
	for _, ft := range []string{"tiki_delivery", "seller_delivery", "cross_border", "dropship"} {
		curl(t, curlPath, "-H", "Content-Type: application/json",
			"-d", `{"fulfillment_type":"`+ft+`","items":[{"seller_product_code":"SKU-`+ft+`","price":150000,"quantity":2}]}`,
			api+"/v2/orders")
	}

	out := curl(t, curlPath, api+"/v2/orders?status=queueing&item_confirmation_status=waiting&include=status_histories")
	var page struct {
		Data []struct {
			Code            string `json:"code"`
			FulfillmentType string `json:"fulfillment_type"`
			Status          string `json:"status"`
			Items           []struct {
				ID           int64 `json:"id"`
				Confirmation *struct {
					Status              string `json:"status"`
					AvailableConfirmSLA string `json:"available_confirm_sla"`
				} `json:"confirmation"`
				Invoice struct {
					Price json.Number `json:"price"`
				} `json:"invoice"`
			} `json:"items"`
			StatusHistories []struct {
				Status string `json:"status"`
			} `json:"status_histories"`
		} `json:"data"`
		Paging map[string]int `json:"paging"`
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&page), "%s", out)
	require.Len(t, page.Data, 4, "%s", out)
	assert.Equal(t, 4, page.Paging["total"])
	models := map[string]bool{}
	for _, o := range page.Data {
		assert.NotEmpty(t, o.Code)
		assert.Equal(t, "queueing", o.Status)
		models[o.FulfillmentType] = true
		require.Len(t, o.Items, 1)
		require.NotNil(t, o.Items[0].Confirmation, "items[].confirmation")
		assert.Equal(t, "waiting", o.Items[0].Confirmation.Status)
		assert.NotEmpty(t, o.Items[0].Confirmation.AvailableConfirmSLA)
		assert.Equal(t, json.Number("150000.00"), o.Items[0].Invoice.Price)
		require.Len(t, o.StatusHistories, 1)
	}
	assert.Len(t, models, 4)
	assert.NotContains(t, string(out), `"order_code"`, "no v1 shape under /v2")

	// One order by code, and the v1 API on /v1 only.
	one := curl(t, curlPath, api+"/v2/orders/"+page.Data[0].Code)
	assert.Contains(t, string(one), `"code":"`+page.Data[0].Code+`"`)
	v1 := curl(t, curlPath, api+"/v1/orders")
	assert.Contains(t, string(v1), `"data":[]`)
}

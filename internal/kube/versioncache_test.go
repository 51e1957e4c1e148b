package kube

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestVersionCache: GET /version reaches the server until it answers 200
// once, then never again; every caller reads the whole answer; other
// requests always reach the server.
func TestVersionCache(t *testing.T) {
	var versions, others atomic.Int32
	fail := atomic.Bool{}
	fail.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			others.Add(1)
			io.WriteString(w, "{}")
			return
		}
		versions.Add(1)
		if fail.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"gitVersion":"v1.35.0"}`)
	}))
	defer srv.Close()
	client := &http.Client{Transport: (&versionCache{}).wrap(http.DefaultTransport)}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/version"); code != http.StatusServiceUnavailable {
		t.Fatalf("first /version: %d, want the server's 503", code)
	}
	fail.Store(false)
	for range 3 {
		if code, body := get("/version?timeout=10s"); code != http.StatusOK || body != `{"gitVersion":"v1.35.0"}` {
			t.Fatalf("/version: %d %q", code, body)
		}
	}
	get("/api")
	get("/api")
	if v, o := versions.Load(), others.Load(); v != 2 || o != 2 {
		t.Errorf("server saw %d /version and %d other requests, want 2 (the 503 and the first 200) and 2", v, o)
	}
}

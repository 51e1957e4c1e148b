package charts

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// spaces produces ' ' for ever: a YAML index padded without end.
type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestDownloadLimits: an index and a chart are read up to their bound,
// then the download fails at once naming the URL and the bound (issue
// 17, item 4). The bounds are made small here; the server sends far more
// than the bound, streamed.
func TestDownloadLimits(t *testing.T) {
	oldIndex, oldChart := maxIndex, maxChart
	maxIndex, maxChart = 64<<10, 256<<10
	t.Cleanup(func() { maxIndex, maxChart = oldIndex, oldChart })

	var requests atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/big/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nentries: {}\n#")
		io.Copy(w, io.LimitReader(spaces{}, 4<<20))
	})
	mux.HandleFunc("/ok/index.yaml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "apiVersion: v1\nentries:\n  web:\n  - {apiVersion: v2, name: web, version: 1.0.0, urls: [web-1.0.0.tgz]}\n")
	})
	mux.HandleFunc("/ok/web-1.0.0.tgz", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.Copy(w, io.LimitReader(spaces{}, 4<<20))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()

	l := newLocator(t, Options{})
	_, err := l.Resolve(ctx, Source{Repo: srv.URL + "/big", Name: "web"}, "*")
	want := "repository " + srv.URL + "/big: " + srv.URL + "/big/index.yaml is larger than 64 KiB, the most slipway reads of it"
	if err == nil || err.Error() != want {
		t.Errorf("index:\n%v\nwant:\n%s", err, want)
	}
	if n := requests.Swap(0); n != 1 {
		t.Errorf("%d requests for the index, want 1 (no retry)", n)
	}

	r, err := l.Resolve(ctx, Source{Repo: srv.URL + "/ok", Name: "web"}, "*")
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Get(ctx, r)
	if err == nil || !strings.HasSuffix(err.Error(), srv.URL+"/ok/web-1.0.0.tgz is larger than 256 KiB, the most slipway reads of it") {
		t.Errorf("chart: %v", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests for the chart, want 1 (no retry)", n)
	}
}

// TestRegistryResponsesBounded: Helm's registry client reads OCI
// manifests and blobs itself; the client slipway gives it fails a body
// past the chart bound, naming the URL without its query (a redirected
// blob's signature).
func TestRegistryResponsesBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int64(4 << 20)
		if r.URL.Path == "/small" {
			n = 64 << 10
		}
		io.Copy(w, io.LimitReader(spaces{}, n))
	}))
	t.Cleanup(srv.Close)
	c := limitedClient(&http.Client{}, 64<<10)
	read := func(path string) ([]byte, error) {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	data, err := read("/v2/org/web/blobs/sha256:abc?X-Amz-Signature=secret")
	want := srv.URL + "/v2/org/web/blobs/sha256:abc is larger than 64 KiB, the most slipway reads of it"
	if err == nil || err.Error() != want || len(data) > 64<<10 {
		t.Errorf("%d bytes, error:\n%v\nwant:\n%s", len(data), err, want)
	}
	if data, err := read("/small"); err != nil || len(data) != 64<<10 {
		t.Errorf("exactly the bound: %d bytes, %v", len(data), err)
	}
}

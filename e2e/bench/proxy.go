package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// countingProxy sits on loopback between the measured tools and the API
// server and counts every request they make. Both slipway and the Helm
// baseline talk through it, so its small cost falls on both sides alike.
// It authenticates upstream with the cluster's admin credentials, so the
// kubeconfig it writes needs none.
type countingProxy struct {
	srv *http.Server
	url string
	rtt rttState // added round-trip time (see latency.go)

	mu     sync.Mutex
	total  int
	byVerb map[string]int
	byPath map[string]int // verb and path, names of objects included
}

func startProxy(upstream *rest.Config) (*countingProxy, error) {
	rt, err := rest.TransportFor(upstream)
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(upstream.Host)
	if err != nil {
		return nil, err
	}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: rt,
		// Watches stream: pass every event on at once.
		FlushInterval: -1,
		ErrorLog:      nil,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{url: "http://" + ln.Addr().String(), byVerb: map[string]int{}, byPath: map[string]int{}}
	forward := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { delayed(p.rtt.get(), rp).ServeHTTP(w, r) })
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			verb := r.Method
			if r.Method == http.MethodGet && r.URL.Query().Get("watch") != "" {
				verb = "WATCH"
			}
			p.mu.Lock()
			p.total++
			p.byVerb[verb]++
			p.byPath[verb+" "+r.URL.Path]++
			p.mu.Unlock()
			forward.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("proxy: %v", err)
		}
	}()
	return p, nil
}

// topPaths lists the n most frequent verb and path pairs since the last
// reset.
func (p *countingProxy) topPaths(n int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]string, 0, len(p.byPath))
	for k := range p.byPath {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(p.byPath[b]-p.byPath[a], strings.Compare(a, b)) })
	var out []string
	for _, k := range keys[:min(n, len(keys))] {
		out = append(out, fmt.Sprintf("%5d %s", p.byPath[k], k))
	}
	return out
}

// reset zeroes the counters and returns what they held.
func (p *countingProxy) reset() (int, map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	total, by := p.total, p.byVerb
	p.total, p.byVerb, p.byPath = 0, map[string]int{}, map[string]int{}
	return total, by
}

func (p *countingProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		p.srv.Close()
	}
}

// writeKubeconfig writes a kubeconfig whose only context reaches the API
// server through the proxy.
func (p *countingProxy) writeKubeconfig(path string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bench"] = &clientcmdapi.Cluster{Server: p.url}
	cfg.AuthInfos["bench"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "bench", Namespace: "default"}
	cfg.CurrentContext = "bench"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

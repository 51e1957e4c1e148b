package charts

import (
	"io"
	"net/http"
	"net/url"

	"github.com/slipway-dev/slipway/internal/debuglog"
	"github.com/slipway-dev/slipway/internal/limit"
)

// limitedClient is c with every response body bounded to max bytes: Helm's
// registry client reads manifests and blobs itself, so the bound is put
// where it reads them. Past the bound a read fails with a
// *limit.TooLargeError naming the URL (without its query, which for a
// blob redirected to object storage carries a signature).
func limitedClient(c *http.Client, max int64) *http.Client {
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{Timeout: c.Timeout, Transport: limitedTransport{debuglog.Transport(base), max}}
}

type limitedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	u := *req.URL
	u.RawQuery, u.User = "", nil
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: t.max, max: t.max, url: &u}
	return resp, nil
}

// limitedBody reads up to max bytes of a body, then fails.
type limitedBody struct {
	io.ReadCloser
	left, max int64
	url       *url.URL
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &limit.TooLargeError{What: b.url.String(), Limit: b.max}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - 1, &limit.TooLargeError{What: b.url.String(), Limit: b.max}
	}
	return n, err
}

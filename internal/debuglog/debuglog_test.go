package debuglog

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A request with an Authorization header, a password in the URL and a
// token in the query is logged as method, URL with those masked, status
// and duration; the header, the secrets and the body never appear.
func TestTransportLogsNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("response-body-s3cr3t"))
	}))
	defer srv.Close()
	var out bytes.Buffer
	disable := Enable(&out)
	defer disable()

	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("robot", "url-pass-s3cr3t")
	u.Path, u.RawQuery = "/charts/index.yaml", "access_token=query-s3cr3t&page=2"
	req, _ := http.NewRequest(http.MethodGet, u.String(), strings.NewReader("request-body-s3cr3t"))
	req.Header.Set("Authorization", "Bearer header-s3cr3t")
	resp, err := Client(&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := out.String()
	want := regexp.MustCompile(`^debug: http: GET http://robot:xxxxx@127\.0\.0\.1:\d+/charts/index\.yaml\?access_token=xxxxx&page=2 418 \([0-9.]+[mµn]?s\)\n$`)
	if !want.MatchString(got) {
		t.Errorf("debug output:\n%s\nwant it to match %s", got, want)
	}
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "Authorization") || strings.Contains(got, "Bearer") {
		t.Errorf("debug output shows a secret:\n%s", got)
	}
}

// Off, nothing is written; a failed request names its error without the
// URL's password.
func TestTransportOffAndErrors(t *testing.T) {
	var out bytes.Buffer
	c := Client(nil)
	if _, err := c.Get("http://127.0.0.1:1/x"); err == nil {
		t.Fatal("want an error from a closed port")
	}
	if out.Len() != 0 || Enabled() {
		t.Fatalf("debug off wrote %q", out.String())
	}
	disable := Enable(&out)
	c.Get("http://user:pw-s3cr3t@127.0.0.1:1/x")
	disable()
	if !strings.HasPrefix(out.String(), "debug: http: GET http://user:xxxxx@127.0.0.1:1/x: ") || strings.Contains(out.String(), "s3cr3t") {
		t.Errorf("debug output of a failed request:\n%s", out.String())
	}
	if Enabled() {
		t.Error("still enabled after disable")
	}
}

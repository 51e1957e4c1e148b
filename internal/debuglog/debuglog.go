package debuglog

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type sink struct {
	mu sync.Mutex
	w  io.Writer
}

var current atomic.Pointer[sink]

// Enable sends debug output to w until the returned function is called.
func Enable(w io.Writer) (disable func()) {
	s := &sink{w: w}
	current.Store(s)
	return func() { current.CompareAndSwap(s, nil) }
}

// Enabled says whether --debug is on.
func Enabled() bool { return current.Load() != nil }

// Printf writes one debug line (a newline is added).
func Printf(format string, args ...any) {
	s := current.Load()
	if s == nil {
		return
	}
	line := "debug: " + strings.TrimRight(fmt.Sprintf(format, args...), "\n") + "\n"
	s.mu.Lock()
	defer s.mu.Unlock()
	io.WriteString(s.w, line)
}

// Writer is an io.Writer onto the debug output (for loggers that want
// one), or nil when debug is off.
func Writer() io.Writer {
	if !Enabled() {
		return nil
	}
	return writerFunc(func(p []byte) (int, error) {
		for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
			Printf("%s", l)
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// SlogHandler is a handler for the Helm SDK's log at debug level onto the
// debug output, or nil when debug is off.
func SlogHandler() slog.Handler {
	w := Writer()
	if w == nil {
		return nil
	}
	return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{} // the stderr line needs no timestamp
		}
		return a
	}})
}

// Transport wraps rt (nil: http.DefaultTransport) so that each request is
// logged when debug is on. Wrapping a Transport twice logs once.
func Transport(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if _, ok := rt.(transport); ok {
		return rt
	}
	return transport{rt}
}

// Client is c with its transport wrapped by Transport (a shallow copy).
func Client(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	cp.Transport = Transport(c.Transport)
	return &cp
}

type transport struct{ base http.RoundTripper }

// WrappedTransport lets client-go see through the wrapper (for its
// connection management), as its own wrappers do.
func (t transport) WrappedRoundTripper() http.RoundTripper { return t.base }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !Enabled() {
		return t.base.RoundTrip(req)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	took := time.Since(start).Round(time.Millisecond)
	u := RedactURL(req.URL)
	if err != nil {
		Printf("http: %s %s: %v (%s)", req.Method, u, redactError(err, req.URL), took)
		return resp, err
	}
	Printf("http: %s %s %d (%s)", req.Method, u, resp.StatusCode, took)
	return resp, err
}

// secretParam names query parameters whose values are never printed.
var secretParam = regexp.MustCompile(`(?i)token|password|passwd|secret|key|sig|credential|auth`)

// RedactURL is u with the password of its user info and the values of
// secret-looking query parameters masked.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	cp := *u
	if cp.User != nil {
		if _, has := cp.User.Password(); has {
			cp.User = url.UserPassword(cp.User.Username(), "xxxxx")
		}
	}
	if cp.RawQuery != "" {
		q := cp.Query()
		for k := range q {
			if secretParam.MatchString(k) {
				q[k] = []string{"xxxxx"}
			}
		}
		cp.RawQuery = q.Encode()
	}
	return cp.String()
}

// redactError keeps a transport error's own words but not the URL's
// secrets (net/http errors quote the URL as it was given).
func redactError(err error, u *url.URL) string {
	msg := err.Error()
	if u != nil {
		msg = strings.ReplaceAll(msg, u.String(), RedactURL(u))
		if u.User != nil {
			if p, has := u.User.Password(); has && p != "" {
				msg = strings.ReplaceAll(msg, p, "xxxxx")
			}
		}
	}
	return msg
}

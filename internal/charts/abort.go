package charts

import (
	"context"
	"io"
	"net/http"
	"sync"
)

// Helm's registry client takes no context (Tags and Pull run on
// context.Background()), so a registry that accepts a connection and
// never answers held its requests until the HTTP client's timeout,
// whatever the caller's context said (issue 17, item 5). abortable puts
// the context back: every request of the registry clients also ends when
// the Locator is aborted, and ociSource aborts it when the context of a
// call ends. In slipway every call of one Locator shares the run's
// context (see shared), so ending them all together is what the user
// asked for.
type abortable struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

func (a *abortable) init() {
	a.once.Do(func() { a.ctx, a.cancel = context.WithCancel(context.Background()) })
}

// watch aborts every request when ctx ends, until the returned stop is
// called. A stop called once ctx has ended leaves the abort to happen:
// the call returning because of ctx must not race it away.
func (a *abortable) watch(ctx context.Context) (stop func()) {
	a.init()
	after := context.AfterFunc(ctx, a.cancel)
	return func() {
		if ctx.Err() == nil {
			after()
		}
	}
}

// transport is base with every request bound to the abort.
func (a *abortable) transport(base http.RoundTripper) http.RoundTripper {
	a.init()
	return abortTransport{base: base, a: a}
}

type abortTransport struct {
	base http.RoundTripper
	a    *abortable
}

func (t abortTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	stop := context.AfterFunc(t.a.ctx, func() { cancel(context.Canceled) })
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		stop()
		cancel(nil)
		return nil, err
	}
	// The body is read after RoundTrip returns: the request's context
	// lives until it is closed.
	resp.Body = &abortBody{ReadCloser: resp.Body, done: func() { stop(); cancel(nil) }}
	return resp, nil
}

type abortBody struct {
	io.ReadCloser
	done func()
}

func (b *abortBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

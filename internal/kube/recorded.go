package kube

import (
	"bytes"
	"io"
	"net/http"
)

// Recorded is an API server's answer read to its end, to be handed out
// again as a response of its own: the /version cache, the read-ahead and
// release's install prefetch each replay answers this way.
type Recorded struct {
	status     string
	statusCode int
	proto      string
	protoMajor int
	protoMinor int
	header     http.Header
	body       []byte
}

// Record reads resp's body to its end (at most limit bytes when limit is
// above 0) and closes it; resp gets a fresh body with the same bytes, so
// its own reader sees the answer unchanged.
func Record(resp *http.Response, limit int64) (*Recorded, error) {
	var r io.Reader = resp.Body
	if limit > 0 {
		r = io.LimitReader(resp.Body, limit)
	}
	body, err := io.ReadAll(r)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return &Recorded{status: resp.Status, statusCode: resp.StatusCode, proto: resp.Proto,
		protoMajor: resp.ProtoMajor, protoMinor: resp.ProtoMinor, header: resp.Header.Clone(), body: body}, nil
}

// Response is a copy of the recorded answer, as the answer to req.
func (r *Recorded) Response(req *http.Request) *http.Response {
	return &http.Response{
		Status: r.status, StatusCode: r.statusCode,
		Proto: r.proto, ProtoMajor: r.protoMajor, ProtoMinor: r.protoMinor,
		Header: r.header.Clone(), Body: io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)), Request: req,
	}
}

package limit

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless produces bytes for ever, counting them.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	e.n += int64(len(p))
	return len(p), nil
}

// TestReadAllStopsAtTheLimit: a source without end costs the limit (and
// a read buffer), not the memory it would fill (issue 17, item 4: a
// bundle's 256 MiB images.txt of newlines took 4.8 GB).
func TestReadAllStopsAtTheLimit(t *testing.T) {
	src := &endless{}
	_, err := ReadAll(src, Images, "b.tgz:images.txt")
	var tl *TooLargeError
	if !errors.As(err, &tl) || err.Error() != "b.tgz:images.txt is larger than 1 MiB, the most slipway reads of it" {
		t.Fatalf("error: %v", err)
	}
	if src.n > Images+64<<10 {
		t.Errorf("read %d bytes of an endless source, want about %d", src.n, Images)
	}
	data, err := ReadAll(io.LimitReader(&endless{}, Images), Images, "exact")
	if err != nil || len(data) != Images {
		t.Errorf("exactly the limit: %d bytes, %v", len(data), err)
	}
}

func TestReadFile(t *testing.T) {
	if _, err := ReadFile("/dev/zero", Lock, "lock file"); err == nil || err.Error() != "lock file /dev/zero is larger than 1 MiB, the most slipway reads of it" {
		t.Errorf("error: %v", err)
	}
	if _, err := ReadFile("/nonexistent/x", Lock, ""); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("error: %v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{Lock: "1 MiB", Index: "64 MiB", Bundle: "2 GiB", 1536: "1536 bytes", 2048: "2 KiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %s, want %s", n, got, want)
		}
	}
}

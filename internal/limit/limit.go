package limit

import (
	"fmt"
	"io"
	"os"
)

// Bounds, in bytes.
const (
	Lock    = 1 << 20  // a lock file, in a bundle or not
	Images  = 1 << 20  // a bundle's images.txt
	Profile = 1 << 20  // a profile file
	Values  = 16 << 20 // a values file (-f)
	Index   = 64 << 20 // a chart repository's index.yaml
	Chart   = 256 << 20
	// Bundle is the bound on all of a bundle's entries together.
	Bundle = 2 << 30
)

// TooLargeError is data that went past its bound while being read.
type TooLargeError struct {
	What  string // the file or URL
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, the most slipway reads of it", e.What, Size(e.Limit))
}

// Size writes a bound the way people say it: 1 MiB, 64 MiB, 2 GiB.
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadAll reads r to its end, or fails with a *TooLargeError naming what
// once more than max bytes came: it never holds more than max+1.
func ReadAll(r io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &TooLargeError{What: what, Limit: max}
	}
	return data, nil
}

// ReadFile is ReadAll of the file at path, named in a *TooLargeError
// as "<kind> <path>" (kind may be ""); other errors are os.Open's and
// the read's, as they are.
func ReadFile(path string, max int64, kind string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	what := path
	if kind != "" {
		what = kind + " " + path
	}
	return ReadAll(f, max, what)
}

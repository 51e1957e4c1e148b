package profile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/profiles"
)

// FuzzProfileDecode feeds arbitrary bytes to the strict profile decoder:
// it must never panic, every failure must be a *ValidationError whose
// message starts with the file name's prefix, and whatever it accepts must
// validate again. Seeds are the shipped profiles and the testdata.
//
//	go test ./internal/profile -run '^$' -fuzz FuzzProfileDecode -fuzztime 60s
func FuzzProfileDecode(f *testing.F) {
	shipped, err := fs.Glob(profiles.FS, "*/*.yaml")
	if err != nil || len(shipped) == 0 {
		f.Fatalf("no shipped profiles: %v", err)
	}
	for _, name := range shipped {
		data, err := fs.ReadFile(profiles.FS, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	local, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range local {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: slipway.dev/v1alpha1\nkind: Profile\ncomponents: [{needs: [a, a, a]}]\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode("fuzz.yaml", data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error is not a *ValidationError with problems: %T %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "invalid profile: ") {
				t.Fatalf("message does not start with the prefix: %q", err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil profile and nil error")
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded profile does not validate again: %v", err)
		}
		// Selecting the defaults of an accepted profile must not panic
		// either: up does exactly this next.
		Select(p, nil, nil)
	})
}

package credentials

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/slipway-dev/slipway/internal/outcome"
	"github.com/slipway-dev/slipway/internal/profile"
)

// ReadPasswordFile reads a user-supplied password file; one trailing
// newline is dropped (echo adds one). A password longer than
// profile.MaxLength is refused for every component: bcrypt reads only 72
// bytes, and a password stored in the Secret first would fail every
// later up of a chart that takes a hash. The read stops just past that
// length, so pointing --password at a large file costs nothing.
func ReadPasswordFile(comp, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", outcome.Input(fmt.Errorf("--password %s=@%s: %w", comp, path, err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, profile.MaxLength+3)) // room for "\r\n"
	if err != nil {
		return "", outcome.Input(fmt.Errorf("--password %s=@%s: %w", comp, path, err))
	}
	return CheckPassword(fmt.Sprintf("--password %s=@%s", comp, path), strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r"))
}

// CheckPassword refuses a user's password slipway cannot use: shorter
// than 8 or longer than profile.MaxLength bytes. what names where it came
// from. The password is never part of the message.
func CheckPassword(what, pw string) (string, error) {
	switch {
	case len(pw) < 8:
		return "", outcome.Input(fmt.Errorf("%s: the password is shorter than 8 characters", what))
	case len(pw) > profile.MaxLength:
		return "", outcome.Input(fmt.Errorf("%s: the password is longer than %d bytes, all bcrypt can hash; use a shorter one", what, profile.MaxLength))
	}
	return pw, nil
}

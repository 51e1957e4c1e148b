package credentials

import (
	"fmt"
	"os"
	"strings"

	"github.com/slipwayhq/slipway/internal/outcome"
)

// ReadPasswordFile reads a user-supplied password file; one trailing
// newline is dropped (echo adds one).
func ReadPasswordFile(comp, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", outcome.Input(fmt.Errorf("--password %s=@%s: %w", comp, path, err))
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if len(pw) < 8 {
		return "", outcome.Input(fmt.Errorf("--password %s=@%s: the password is shorter than 8 characters", comp, path))
	}
	return pw, nil
}

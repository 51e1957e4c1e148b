package outcome

import (
	"errors"
	"fmt"
	"testing"
)

func TestMarks(t *testing.T) {
	base := errors.New("--ip: 999.1.1.1 is not an IPv4 address")
	in := fmt.Errorf("up: %w", Input(base))
	if !errors.Is(in, ErrInput) || errors.Is(in, ErrTimeout) || !errors.Is(in, base) || in.Error() != "up: "+base.Error() {
		t.Errorf("Input: %v (is input %v, is timeout %v)", in, errors.Is(in, ErrInput), errors.Is(in, ErrTimeout))
	}
	to := Timeout(base)
	if !errors.Is(to, ErrTimeout) || errors.Is(to, ErrInput) || to.Error() != base.Error() {
		t.Errorf("Timeout: %v", to)
	}
	if Input(nil) != nil || Timeout(nil) != nil {
		t.Error("a nil error was marked")
	}
}

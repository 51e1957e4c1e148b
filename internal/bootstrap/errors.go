package bootstrap

import "errors"

// ErrInput marks problems with what the user gave (profile, flags, values
// files): the command exits 2 and nothing was changed.
var ErrInput = errors.New("invalid input")

// ErrTimeout marks a readiness timeout (exit 124).
var ErrTimeout = errors.New("not ready in time")

// inputError wraps err so errors.Is(err, ErrInput) holds while the message
// stays the original one.
type inputError struct{ err error }

func (e *inputError) Error() string   { return e.err.Error() }
func (e *inputError) Unwrap() []error { return []error{e.err, ErrInput} }
func asInput(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}

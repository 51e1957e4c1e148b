// Package outcome classifies why a command failed, so that app maps every
// error to one exit code: bad input (2: nothing was changed), not ready
// in time (124), or declined by the user. The packages below app mark
// their errors with Input and Timeout; app tests them with errors.Is.
package outcome

import "errors"

var (
	// ErrInput marks problems with what the user gave (profile, flags,
	// files): the command exits 2 and nothing was changed.
	ErrInput = errors.New("invalid input")
	// ErrTimeout marks a readiness timeout (exit 124).
	ErrTimeout = errors.New("not ready in time")
	// ErrAborted is returned when the user declined a confirmation.
	ErrAborted = errors.New("aborted: nothing was removed")
)

// Input marks err as bad input; the message stays err's own. Input(nil)
// is nil.
func Input(err error) error {
	if err == nil {
		return nil
	}
	return &marked{err, ErrInput}
}

// Timeout marks err as a readiness timeout; the message is err's own
// (the diagnosis alone).
func Timeout(err error) error {
	if err == nil {
		return nil
	}
	return &marked{err, ErrTimeout}
}

type marked struct{ err, kind error }

func (e *marked) Error() string   { return e.err.Error() }
func (e *marked) Unwrap() []error { return []error{e.err, e.kind} }

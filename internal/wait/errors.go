package wait

import (
	"fmt"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
)

// Finding is one reason a resource is not ready.
type Finding struct {
	Object  kube.Ref
	Reason  string
	Message string
}

// Diagnosis explains one component's not-ready resources.
type Diagnosis struct {
	Component string
	Total     int
	NotReady  []ResourceStatus
	Findings  []Finding
	Hints     []string // commands to look further
}

// TimeoutError is returned when the context ends before everything is ready.
type TimeoutError struct {
	After     time.Duration
	Diagnoses []Diagnosis
}

func (e *TimeoutError) Error() string {
	return format(e.Diagnoses, "not ready after "+e.After.Round(time.Second).String())
}

// FailedError is returned when a resource is failing outright.
type FailedError struct{ Diagnoses []Diagnosis }

func (e *FailedError) Error() string { return format(e.Diagnoses, "failing") }

func format(ds []Diagnosis, what string) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %d of %d resources %s", d.Component, len(d.NotReady), d.Total, what)
		for _, r := range d.NotReady {
			fmt.Fprintf(&b, "\n  %s: %s", r.Object, r.State)
			if r.Message != "" {
				fmt.Fprintf(&b, ": %s", r.Message)
			}
		}
		for _, f := range d.Findings {
			fmt.Fprintf(&b, "\n    %s: %s: %s", f.Object, f.Reason, f.Message)
		}
		for _, h := range d.Hints {
			fmt.Fprintf(&b, "\n  look further: %s", h)
		}
	}
	return b.String()
}

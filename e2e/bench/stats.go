package main

import (
	"fmt"
	"slices"
	"time"
)

// Sample is the repeated measurements of one figure, in its unit
// (seconds for times, bytes for sizes, a plain count otherwise).
type Sample []float64

// Median is the middle value (the mean of the two middle ones for an even
// count); 0 for an empty sample.
func (s Sample) Median() float64 {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

// Min is the smallest value; 0 for an empty sample.
func (s Sample) Min() float64 {
	if len(s) == 0 {
		return 0
	}
	return slices.Min(s)
}

// Max is the largest value; 0 for an empty sample.
func (s Sample) Max() float64 {
	if len(s) == 0 {
		return 0
	}
	return slices.Max(s)
}

// Ratio is the median of s over the median of base, or 0 when base is 0.
func (s Sample) Ratio(base Sample) float64 {
	if b := base.Median(); b != 0 {
		return s.Median() / b
	}
	return 0
}

// Seconds appends a duration to a time sample.
func (s *Sample) Seconds(d time.Duration) { *s = append(*s, d.Seconds()) }

// unit renders one value of a sample.
type unit func(float64) string

func seconds(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0f ms", v*1000)
	case v < 10:
		return fmt.Sprintf("%.2f s", v)
	default:
		return fmt.Sprintf("%.1f s", v)
	}
}

func megabytes(v float64) string { return fmt.Sprintf("%.1f MB", v/1e6) }

func count(v float64) string { return fmt.Sprintf("%.0f", v) }

// String renders "median (min–max, n runs)", or the value alone for a
// single measurement.
func (s Sample) String(u unit) string {
	switch len(s) {
	case 0:
		return "—"
	case 1:
		return u(s[0])
	}
	return fmt.Sprintf("%s (%s–%s, n=%d)", u(s.Median()), u(s.Min()), u(s.Max()), len(s))
}

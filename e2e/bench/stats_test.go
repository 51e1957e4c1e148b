package main

import (
	"testing"
	"time"
)

func TestSampleStatistics(t *testing.T) {
	cases := []struct {
		name             string
		s                Sample
		median, min, max float64
	}{
		{"empty", nil, 0, 0, 0},
		{"one", Sample{3}, 3, 3, 3},
		{"odd, unsorted", Sample{5, 1, 4, 2, 3}, 3, 1, 5},
		{"even: mean of the middle two", Sample{4, 1, 3, 2}, 2.5, 1, 4},
		{"repeated values", Sample{2, 2, 9, 2, 1}, 2, 1, 9},
	}
	for _, c := range cases {
		if got := c.s.Median(); got != c.median {
			t.Errorf("%s: median %v, want %v", c.name, got, c.median)
		}
		if got := c.s.Min(); got != c.min {
			t.Errorf("%s: min %v, want %v", c.name, got, c.min)
		}
		if got := c.s.Max(); got != c.max {
			t.Errorf("%s: max %v, want %v", c.name, got, c.max)
		}
	}
	// Median must not reorder the caller's sample.
	s := Sample{3, 1, 2}
	s.Median()
	if s[0] != 3 || s[1] != 1 || s[2] != 2 {
		t.Errorf("Median sorted its input in place: %v", s)
	}
}

func TestSampleRatioAndString(t *testing.T) {
	if got := (Sample{1, 2, 3}).Ratio(Sample{4, 4}); got != 0.5 {
		t.Errorf("ratio %v, want 0.5", got)
	}
	if got := (Sample{1}).Ratio(nil); got != 0 {
		t.Errorf("ratio over an empty baseline %v, want 0", got)
	}
	var s Sample
	s.Seconds(1500 * time.Millisecond)
	s.Seconds(120 * time.Millisecond)
	s.Seconds(12 * time.Second)
	if got, want := s.String(seconds), "1.50 s (120 ms–12.0 s, n=3)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := (Sample{}).String(seconds); got != "—" {
		t.Errorf("empty String = %q", got)
	}
}

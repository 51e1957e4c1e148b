package release

import "testing"

func TestMaxHistory(t *testing.T) {
	for env, want := range map[string]int{"": 10, "3": 3, "0": 0, "-1": 10, "ten": 10} {
		t.Setenv("HELM_MAX_HISTORY", env)
		if got := maxHistory(); got != want {
			t.Errorf("HELM_MAX_HISTORY=%q: %d, want %d", env, got, want)
		}
	}
}

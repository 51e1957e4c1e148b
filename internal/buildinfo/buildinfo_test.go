package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	installed := &debug.BuildInfo{
		GoVersion: "go1.26.1",
		Main:      debug.Module{Path: "github.com/slipway-dev/slipway", Version: "v0.4.0"},
		Deps: []*debug.Module{
			{Path: "helm.sh/helm/v4", Version: "v4.3.1"},
			{Path: "k8s.io/client-go", Version: "v0.37.2"},
		},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	cases := []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string
		want                  Info
		short                 string
	}{
		{name: "go install of a tag", bi: installed,
			want:  Info{Version: "v0.4.0", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-12-01T10:00:00Z", GoVersion: "go1.26.1", Helm: "v4.3.1", ClientGo: "v0.37.2"},
			short: "v0.4.0 (0123456789ab)"},
		{name: "ldflags win", bi: installed, version: "v0.5.0", commit: "fedcba", date: "2026-12-02T00:00:00Z",
			want:  Info{Version: "v0.5.0", Commit: "fedcba", CommitDate: "2026-12-02T00:00:00Z", GoVersion: "go1.26.1", Helm: "v4.3.1", ClientGo: "v0.37.2"},
			short: "v0.5.0 (fedcba)"},
		{name: "goreleaser without Git state", bi: installed, version: "0.0.1-next+none", commit: "none", date: "0001-01-01T00:00:00Z",
			want:  Info{Version: "0.0.1-next+none", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-12-01T10:00:00Z", GoVersion: "go1.26.1", Helm: "v4.3.1", ClientGo: "v0.37.2"},
			short: "0.0.1-next+none (0123456789ab)"},
		{name: "dirty pseudo-version", bi: &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20261201100000-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}},
			want:  Info{Version: "v0.0.0-20261201100000-0123456789ab+dirty", Commit: "0123456789abcdef", Dirty: true, GoVersion: "go1.26.1"},
			short: "v0.0.0-20261201100000-0123456789ab+dirty"},
		{name: "built outside version control", bi: &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}},
			want: Info{Version: "dev", GoVersion: "go1.26.1"}, short: "dev"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fromBuildInfo(tc.bi, tc.version, tc.commit, tc.date)
			tc.want.Platform = got.Platform
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if got.Short() != tc.short {
				t.Errorf("Short() = %q, want %q", got.Short(), tc.short)
			}
		})
	}
}

package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time by release builds:
//
//	-ldflags "-X github.com/slipway-dev/slipway/internal/buildinfo.Version=v1.2.3
//	          -X github.com/slipway-dev/slipway/internal/buildinfo.Commit=<sha>
//	          -X github.com/slipway-dev/slipway/internal/buildinfo.Date=<RFC 3339>"
var (
	Version string
	Commit  string
	Date    string
)

// Info is what `slipway version` prints. Its JSON form is
// report.Version's (app copies the fields over), so it has no tags of
// its own to keep in step.
type Info struct {
	Version    string
	Commit     string
	CommitDate string
	Dirty      bool
	GoVersion  string
	Platform   string
	Helm       string
	ClientGo   string
}

// Modules whose versions are reported.
const (
	helmModule     = "helm.sh/helm/v4"
	clientGoModule = "k8s.io/client-go"
)

// Read returns this binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, Version, Commit, Date)
}

// fromBuildInfo is Read with its inputs in arguments, for tests. bi may be
// nil (a binary built without module support).
func fromBuildInfo(bi *debug.BuildInfo, version, commit, date string) Info {
	info := Info{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		// "(devel)" is what a build outside version control reports;
		// go1.24+ stamps a pseudo-version (v0.0.0-<date>-<sha>[+dirty])
		// from the Git checkout instead.
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.CommitDate = s.Value
			case "vcs.modified":
				info.Dirty = s.Value == "true"
			}
		}
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			switch d.Path {
			case helmModule:
				info.Helm = d.Version
			case clientGoModule:
				info.ClientGo = d.Version
			}
		}
	}
	// goreleaser writes "none" and the zero time when it could not read
	// the Git state (a snapshot in a clone without a remote): unknown, so
	// the build information keeps its say.
	if version != "" {
		info.Version = version
	}
	if commit != "" && commit != "none" {
		info.Commit = commit
	}
	if date != "" && !strings.HasPrefix(date, "0001-01-01") {
		info.CommitDate = date
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	// A pseudo-version says dirty itself; keep the flag the one source.
	if strings.HasSuffix(info.Version, "+dirty") {
		info.Dirty = true
	}
	return info
}

// Short is the one-line form `slipway --version` prints.
func (i Info) Short() string {
	s := i.Version
	if i.Commit != "" && !strings.Contains(i.Version, shortSHA(i.Commit)) {
		s += " (" + shortSHA(i.Commit) + ")"
	}
	return s
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

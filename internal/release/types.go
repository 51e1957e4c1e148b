package release

import (
	"strings"
	"time"

	"github.com/slipway-dev/slipway/internal/kube"

	rcommon "helm.sh/helm/v4/pkg/release/common"
)

// Spec is one release to apply or render.
type Spec struct {
	Name, Namespace string
	ChartPath       string // chart directory or .tgz
	Values          map[string]any
	// Timeout bounds hooks (and readiness when Wait). Never 0: v4 would
	// read it as 30 seconds.
	Timeout time.Duration
	// Wait makes Helm itself wait for readiness (kstatus watcher). slipway
	// waits in package wait instead, to show progress and diagnose, and
	// asks Helm to wait only for hooks.
	Wait   bool
	Labels map[string]string
	// Known says that Current is the release as the caller read it in
	// this command (nil: there is none), so Apply need not read it again
	// to choose between install and upgrade: a round trip per install
	// on a remote cluster (issue 18).
	Known   bool
	Current *Info
}

// Action is what happened to a release.
type Action string

// Actions. Unchanged is decided by the caller: the release already had
// the plan's chart and values, so nothing was sent to Helm.
const (
	Install   Action = "install"
	Upgrade   Action = "upgrade"
	Unchanged Action = "unchanged"
	Rendered  Action = "render"
)

// Status is a release's status as Helm stores it (deployed, failed,
// pending-install, …).
type Status string

// The statuses slipway decides on; the others are shown as they are.
const (
	StatusDeployed Status = Status(rcommon.StatusDeployed)
	StatusFailed   Status = Status(rcommon.StatusFailed)
)

// Pending reports whether an interrupted operation left the release
// locked in this status.
func (s Status) Pending() bool { return strings.HasPrefix(string(s), "pending-") }

// Result of Apply or Render.
type Result struct {
	Action       Action
	Revision     int
	ChartVersion string
	Manifest     string
	Objects      []kube.Ref // hooks excluded
}

// Info is the latest revision of a release, whatever its status.
type Info struct {
	Name, Namespace, Chart, ChartVersion, AppVersion string
	Status                                           Status
	Revision                                         int
	Updated                                          time.Time
	Labels                                           map[string]string
	Values                                           map[string]any // user-supplied values
	Manifest                                         string
}

// Pending reports whether an interrupted operation left the release locked.
func (i *Info) Pending() bool { return i.Status.Pending() }

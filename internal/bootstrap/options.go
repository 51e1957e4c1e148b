package bootstrap

import (
	"time"

	"github.com/slipway-dev/slipway/internal/kube"
)

// Options are everything `slipway up` was asked to do, as parsed from flags.
type Options struct {
	Profile string            // name, name@version, name@constraint, or a file path
	Choices map[string]string // group -> option, e.g. ingress -> nginx; "none" drops the group
	Without []string          // components to leave out

	Sets        []string // COMPONENT.KEY=VALUE, Helm strvals syntax after the component
	ValuesFiles []string // COMPONENT=PATH
	Passwords   []string // COMPONENT=@FILE or COMPONENT=secret:NAMESPACE/NAME

	Domain, IP string // hostnames are <prefix>.<IP>.<Domain>; IP "auto" chooses one (see hostip)

	ChartMirror string // classic repo URL or oci:// base every chart is looked up under
	ChartsDir   string // local chart dirs or .tgz files, by name
	CacheDir    string // chart cache (default $SLIPWAY_CACHE_DIR, else the user cache dir)
	Offline     bool   // charts only from the cache and local files
	// RegistryConfig and RepositoryConfig are Helm's login files (default:
	// $HELM_REGISTRY_CONFIG / $HELM_REPOSITORY_CONFIG, else Helm's own).
	RegistryConfig, RepositoryConfig string

	// Lock, when set, is where up writes the lock of what it installed.
	Lock string
	// Locked is a lock file to install exactly: versions from it, digests
	// verified before anything is written to the cluster.
	Locked string
	// Bundle is a bundle file (slipway bundle create): charts and lock
	// from it, no network.
	Bundle string

	GitOpsRepo, GitOpsPath, GitOpsRevision string
	// The GitOps repository's credential (package gitauth): a username
	// with a password (@FILE or secret:NAMESPACE/NAME[:KEY]), or an SSH
	// key file with a known_hosts file.
	GitOpsUsername, GitOpsPassword, GitOpsSSHKey, GitOpsKnownHosts string

	// Registry is the user's own registry the sample pipeline pushes to
	// (--registry HOST[:PORT][/PATH]); the in-cluster registry is then
	// left out unless InClusterRegistry keeps it. RegistryUsername and
	// RegistryPassword (@FILE or secret:NAMESPACE/NAME[:KEY]) log in to it.
	Registry, RegistryUsername, RegistryPassword string
	InClusterRegistry                            bool

	DryRun bool
	// NoCluster never contacts a cluster (slipway template); KubeVersion is
	// then the Kubernetes version charts are rendered for.
	NoCluster   bool
	KubeVersion string
	// RollbackOnFailure rolls a failed upgrade back to the last good
	// revision; off by default so the failing state can be inspected.
	RollbackOnFailure bool
	Timeout           time.Duration // overall readiness budget

	Kube kube.Options
	// Adopt takes over releases and credentials Secrets of the plan's
	// names that slipway did not make (see checkReleasesOwned).
	Adopt bool
	// WaitForLock makes a run lock held by another run a wait (bounded by
	// Timeout) instead of an error (see package runlock).
	WaitForLock bool
	// lockLost is told if the run lock is taken over while this run holds
	// it (Up cancels the run).
	lockLost func(error)

	// CreateCluster creates the kind cluster Cluster describes first (a
	// no-op when it exists) and installs into its context.
	CreateCluster bool
	Cluster       ClusterOptions
	// SkipPreflight skips the checks run before anything is created or
	// installed (see package preflight).
	SkipPreflight bool
}

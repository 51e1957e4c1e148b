package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// APIVersion is the apiVersion of every document slipway prints with
// -o json or -o yaml, the API group its profiles use. docs/output.md
// describes each kind; a field is only ever added within a version.
const APIVersion = "slipway.dev/v1alpha1"

// The kinds of the documents on stdout, one per command that prints data.
const (
	KindUp             = "UpResult"       // up (and up --dry-run)
	KindStatusList     = "StatusList"     // status
	KindDiff           = "Diff"           // diff
	KindCredentialList = "CredentialList" // credentials, credentials rotate
	KindProfileList    = "ProfileList"    // profiles list
	KindClusterList    = "ClusterList"    // cluster list
	KindCluster        = "Cluster"        // cluster create
	KindImageList      = "ImageList"      // bundle images
	KindDownResult     = "DownResult"     // down
	KindVersion        = "Version"        // version
)

// TypeMeta says what a document is, as Kubernetes objects do, so a
// script can check it before reading on.
type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

func meta(kind string) TypeMeta { return TypeMeta{APIVersion: APIVersion, Kind: kind} }

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// StatusList is the document of `slipway status`.
type StatusList struct {
	TypeMeta
	Components []Status `json:"components"`
}

// CredentialList is the document of `slipway credentials`.
type CredentialList struct {
	TypeMeta
	Credentials []Credential `json:"credentials"`
}

// ProfileSummary is one profile of `slipway profiles list`.
type ProfileSummary struct {
	Name        string   `json:"name"`
	Versions    []string `json:"versions"`
	Description string   `json:"description"`
}

// ProfileList is the document of `slipway profiles list`.
type ProfileList struct {
	TypeMeta
	Profiles []ProfileSummary `json:"profiles"`
}

// WriteProfiles renders `slipway profiles list`.
func WriteProfiles(w io.Writer, f Format, list []ProfileSummary) error {
	if f != Table {
		return Encode(w, f, ProfileList{TypeMeta: meta(KindProfileList), Profiles: nonNil(list)})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSIONS\tDESCRIPTION")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, strings.Join(s.Versions, ", "), s.Description)
	}
	return tw.Flush()
}

// Cluster is one kind cluster.
type Cluster struct {
	Name    string `json:"name"`
	Context string `json:"context"`
}

// ClusterList is the document of `slipway cluster list`.
type ClusterList struct {
	TypeMeta
	Clusters []Cluster `json:"clusters"`
}

// WriteClusters renders `slipway cluster list`: names one a line, as
// `kind get clusters` prints them.
func WriteClusters(w io.Writer, f Format, clusters []Cluster) error {
	if f != Table {
		return Encode(w, f, ClusterList{TypeMeta: meta(KindClusterList), Clusters: nonNil(clusters)})
	}
	for _, c := range clusters {
		fmt.Fprintln(w, c.Name)
	}
	return nil
}

// ClusterDoc is the document of `slipway cluster create`.
type ClusterDoc struct {
	TypeMeta
	Cluster
}

// WriteCluster renders `slipway cluster create`: the context name alone,
// for $(...), or the document.
func WriteCluster(w io.Writer, f Format, c Cluster) error {
	if f != Table {
		return Encode(w, f, ClusterDoc{TypeMeta: meta(KindCluster), Cluster: c})
	}
	_, err := fmt.Fprintln(w, c.Context)
	return err
}

// ImageList is the document of `slipway bundle images`.
type ImageList struct {
	TypeMeta
	Images []string `json:"images"`
}

// WriteImages renders `slipway bundle images`: one image a line, for xargs.
func WriteImages(w io.Writer, f Format, images []string) error {
	if f != Table {
		return Encode(w, f, ImageList{TypeMeta: meta(KindImageList), Images: nonNil(images)})
	}
	for _, img := range images {
		fmt.Fprintln(w, img)
	}
	return nil
}

// Removed is one component `slipway down` uninstalled.
type Removed struct {
	Component string `json:"component"`
	Namespace string `json:"namespace"`
	Release   string `json:"release"`
}

// DownResult is the document of `slipway down`.
type DownResult struct {
	TypeMeta
	Context string    `json:"context,omitempty"`
	Removed []Removed `json:"removed"`
	// Skipped names the components asked for that were not installed.
	Skipped []string `json:"skipped,omitempty"`
	// CRDs the charts installed: deleted with --delete-crds, else kept.
	DeletedCRDs []string `json:"deletedCRDs,omitempty"`
	KeptCRDs    []string `json:"keptCRDs,omitempty"`
}

// WriteDown renders `slipway down`. The table form prints nothing: the
// progress lines on stderr already said what was removed.
func WriteDown(w io.Writer, f Format, d DownResult) error {
	if f == Table {
		return nil
	}
	d.TypeMeta, d.Removed = meta(KindDownResult), nonNil(d.Removed)
	return Encode(w, f, d)
}

// VersionProfile is the newest version of one built-in profile.
type VersionProfile struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Version is the document of `slipway version`. Build is
// buildinfo.Info's fields, kept here as plain values so that report stays
// a leaf.
type Version struct {
	TypeMeta
	Version    string           `json:"version"`
	Commit     string           `json:"commit,omitempty"`
	CommitDate string           `json:"commitDate,omitempty"`
	Dirty      bool             `json:"dirty"`
	GoVersion  string           `json:"goVersion"`
	Platform   string           `json:"platform"`
	Helm       string           `json:"helmVersion,omitempty"`
	ClientGo   string           `json:"clientGoVersion,omitempty"`
	Profiles   []VersionProfile `json:"profiles"`
}

// WriteVersion renders `slipway version`.
func WriteVersion(w io.Writer, f Format, v Version) error {
	if f != Table {
		v.TypeMeta, v.Profiles = meta(KindVersion), nonNil(v.Profiles)
		return Encode(w, f, v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("Version", v.Version)
	row("Commit", v.Commit)
	row("Commit date", v.CommitDate)
	row("Dirty", map[bool]string{true: "yes", false: "no"}[v.Dirty])
	row("Go", v.GoVersion)
	row("Platform", v.Platform)
	row("Helm SDK", v.Helm)
	row("client-go", v.ClientGo)
	var ps []string
	for _, p := range v.Profiles {
		ps = append(ps, p.Name+"@"+p.Version)
	}
	row("Profiles", strings.Join(ps, ", "))
	return tw.Flush()
}

package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"
)

// Component is one installed component as reported after `up`.
type Component struct {
	Name      string `json:"component"`
	Chart     string `json:"chart"`
	Version   string `json:"version"`
	Namespace string `json:"namespace"`
	Release   string `json:"release"`
	Action    string `json:"action,omitempty"` // install, upgrade, unchanged, dry-run
	Status    string `json:"readiness"`        // ready, failed, not-ready, planned
	URL       string `json:"url,omitempty"`
	Username  string `json:"username,omitempty"`
	Password  string `json:"password,omitempty"`
	Secret    string `json:"secret,omitempty"` // namespace/name of the credentials Secret
	Warning   string `json:"warning,omitempty"`
}

// Up is the result document of `slipway up`.
type Up struct {
	TypeMeta
	Profile    string      `json:"profile"`
	Version    string      `json:"profileVersion"`
	Context    string      `json:"context,omitempty"`
	DryRun     bool        `json:"dryRun,omitempty"`
	Components []Component `json:"components"`
	Notes      []string    `json:"notes,omitempty"`
}

// Format is an output format: table, json or yaml.
type Format string

const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// ParseFormat checks a -o value.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	if len(allowed) == 0 {
		allowed = []Format{Table, JSON, YAML}
	}
	var names []string
	for _, f := range allowed {
		if string(f) == s {
			return f, nil
		}
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", s, strings.Join(names, ", "))
}

// Encode writes v as indented JSON or YAML.
func Encode(w io.Writer, f Format, v any) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case YAML:
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	return fmt.Errorf("format %q is not a document format", f)
}

// WriteUp renders the result of `up`.
func WriteUp(w io.Writer, f Format, r Up) error {
	if f != Table {
		r.TypeMeta = meta(KindUp)
		return Encode(w, f, r)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tCHART\tNAMESPACE\tSTATUS\tURL\tUSERNAME\tPASSWORD")
	for _, c := range r.Components {
		fmt.Fprintf(tw, "%s\t%s@%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Chart, c.Version, dash(c.Namespace), c.Status, dash(c.URL), dash(c.Username), dash(c.Password))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "\n"+n)
	}
	return nil
}

// Credential is one row of `slipway credentials`.
type Credential struct {
	Component string `json:"component"`
	// Kind is admin (a login slipway generated or was given), or a
	// credential slipway keeps for a component: gitops-repository,
	// registry (kube.Kind*).
	Kind      string `json:"credentialKind,omitempty"`
	Namespace string `json:"namespace"`
	Secret    string `json:"secret,omitempty"` // the Secret's name, in Namespace
	URL       string `json:"url,omitempty"`
	// InCluster is an image registry's name inside the cluster (a
	// registry row has no login: the in-cluster registry takes pushes
	// from inside the cluster and from the ingress without one).
	InCluster string `json:"inCluster,omitempty"`
	Username  string `json:"username"`
	Password  string `json:"password,omitempty"`
}

// WriteCredentials renders `slipway credentials`.
func WriteCredentials(w io.Writer, f Format, rows []Credential) error {
	if f != Table {
		return Encode(w, f, CredentialList{TypeMeta: meta(KindCredentialList), Credentials: nonNil(rows)})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tKIND\tURL\tUSERNAME\tPASSWORD")
	for _, c := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Component, dash(c.Kind), dash(c.URL), dash(c.Username), dash(c.Password))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range rows {
		writeRegistry(w, c.Component, c.URL, c.InCluster)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Status is one row of `slipway status`.
type Status struct {
	Component     string    `json:"component"`
	Namespace     string    `json:"namespace"`
	Release       string    `json:"release"`
	Chart         string    `json:"chart,omitempty"`
	Version       string    `json:"version,omitempty"`
	Revision      int       `json:"revision,omitempty"`
	ReleaseStatus string    `json:"releaseStatus,omitempty"`
	Updated       time.Time `json:"updated,omitzero"`
	Readiness     string    `json:"readiness"` // ready, progressing, failed, pending, missing, unknown
	Reason        string    `json:"reason,omitempty"`
	URL           string    `json:"url,omitempty"`
	// InCluster is an image registry's name inside the cluster.
	InCluster string `json:"inCluster,omitempty"`
	Profile   string `json:"profile,omitempty"`
}

// WriteStatus renders `slipway status`.
func WriteStatus(w io.Writer, f Format, rows []Status) error {
	if f != Table {
		return Encode(w, f, StatusList{TypeMeta: meta(KindStatusList), Components: nonNil(rows)})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tCHART\tREVISION\tRELEASE\tUPDATED\tREADY\tURL")
	for _, s := range rows {
		chart, updated := "-", "-"
		if s.Chart != "" {
			chart = s.Chart + "@" + s.Version
		}
		if !s.Updated.IsZero() {
			updated = s.Updated.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.Component, chart, s.Revision, dash(s.ReleaseStatus), updated, s.Readiness, dash(s.URL))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range rows {
		if s.Reason != "" {
			fmt.Fprintf(w, "\n%s: %s\n", s.Component, s.Reason)
		}
	}
	for _, s := range rows {
		writeRegistry(w, s.Component, s.URL, s.InCluster)
	}
	return nil
}

// writeRegistry says, under a table, how images on an in-cluster
// registry are named from the user's machine and from inside the
// cluster; nothing for a component that is not a registry.
func writeRegistry(w io.Writer, name, url, inCluster string) {
	if inCluster == "" {
		return
	}
	host := strings.TrimPrefix(url, "http://")
	fmt.Fprintf(w, "\n%s: push from this machine to %s/NAME:TAG (%s); inside the cluster, pods and nodes use %s/NAME:TAG\n", name, dash(host), dash(url), inCluster)
}

// ComponentDiff is what `up` would do to one component.
type ComponentDiff struct {
	Component  string   `json:"component"`
	Namespace  string   `json:"namespace"`
	Release    string   `json:"release"`
	Action     string   `json:"action"` // install, upgrade, unchanged, not in plan
	OldVersion string   `json:"oldVersion,omitempty"`
	NewVersion string   `json:"newVersion,omitempty"`
	Values     []string `json:"values,omitempty"` // changed values, secrets masked
	Manifest   string   `json:"manifest,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// Diff is the result of `slipway diff`.
type Diff struct {
	TypeMeta
	Profile    string          `json:"profile"`
	Version    string          `json:"profileVersion"`
	Context    string          `json:"context"`
	Components []ComponentDiff `json:"components"`
}

// WriteDiff renders `slipway diff`.
func WriteDiff(w io.Writer, f Format, d Diff) error {
	if f != Table {
		d.TypeMeta = meta(KindDiff)
		return Encode(w, f, d)
	}
	for _, c := range d.Components {
		switch c.Action {
		case "upgrade":
			fmt.Fprintf(w, "%s: upgrade %s → %s\n", c.Component, c.OldVersion, c.NewVersion)
		case "install":
			fmt.Fprintf(w, "%s: install %s\n", c.Component, c.NewVersion)
		default:
			fmt.Fprintf(w, "%s: %s\n", c.Component, c.Action)
		}
		if c.Note != "" {
			fmt.Fprintf(w, "  %s\n", c.Note)
		}
		for _, v := range c.Values {
			fmt.Fprintf(w, "  %s\n", v)
		}
		if c.Manifest != "" {
			for _, l := range strings.Split(strings.TrimRight(c.Manifest, "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	return nil
}

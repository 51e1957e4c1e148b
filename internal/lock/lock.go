package lock

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway-dev/slipway/internal/digest"
	"github.com/slipway-dev/slipway/internal/limit"
	"sigs.k8s.io/yaml"
)

// APIVersion and Kind identify a lock document.
const (
	APIVersion = "slipway.dev/v1alpha1"
	Kind       = "Lock"
)

// Formats of a locked chart: a Helm archive, whose digest is the sha256 of
// the .tgz bytes, or a chart directory (slipway's embedded charts, local
// paths), whose digest is DirDigest of its files.
const (
	FormatArchive   = "tgz"
	FormatDirectory = "dir"
)

// File is one lock document.
type File struct {
	APIVersion     string  `json:"apiVersion"`
	Kind           string  `json:"kind"`
	Profile        string  `json:"profile"`
	ProfileVersion string  `json:"profileVersion"`
	Charts         []Chart `json:"charts"`
	// ImagesDigest is the sha256 of a bundle's images.txt, so the image
	// list is covered by the lock like the charts are. Only a bundle's
	// lock has it (bundle create); up --lock renders no image list.
	ImagesDigest string `json:"imagesDigest,omitempty"`
}

// Chart is one component's chart, pinned.
type Chart struct {
	Component string `json:"component"`
	Name      string `json:"name"`    // the chart's name
	Version   string `json:"version"` // exact version
	// Source is where the chart was taken from: the archive URL, the
	// oci:// reference with its tag, or the local path.
	Source string `json:"source"`
	Format string `json:"format"` // tgz or dir
	Digest string `json:"digest"` // sha256:<hex>
}

// New returns an empty lock for a profile version.
func New(profile, version string) *File {
	return &File{APIVersion: APIVersion, Kind: Kind, Profile: profile, ProfileVersion: version}
}

// Get returns the entry of a component.
func (f *File) Get(component string) (Chart, bool) {
	for _, c := range f.Charts {
		if c.Component == component {
			return c, true
		}
	}
	return Chart{}, false
}

// Decode parses a lock strictly: unknown fields, a wrong apiVersion or
// kind, and incomplete entries are errors naming file.
func Decode(file string, data []byte) (*File, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("lock file %s is not valid YAML: %w", file, err)
	}
	if head.APIVersion != APIVersion || head.Kind != Kind {
		return nil, fmt.Errorf("lock file %s: unsupported apiVersion %q and kind %q: this slipway reads apiVersion: %s, kind: %s; write a new one with `slipway up --lock %s`", file, head.APIVersion, head.Kind, APIVersion, Kind, file)
	}
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("lock file %s: %w", file, err)
	}
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("lock file %s: %w", file, err)
	}
	return &f, nil
}

func (f *File) validate() error {
	var errs []error
	if f.Profile == "" || f.ProfileVersion == "" {
		errs = append(errs, errors.New("profile and profileVersion are required"))
	}
	if len(f.Charts) == 0 {
		errs = append(errs, errors.New("no charts"))
	}
	seen := map[string]bool{}
	for i, c := range f.Charts {
		where := fmt.Sprintf("charts[%d]", i)
		if c.Component != "" {
			where += " (" + c.Component + ")"
		}
		switch {
		case c.Component == "" || c.Name == "" || c.Version == "" || c.Source == "":
			errs = append(errs, fmt.Errorf("%s: component, name, version and source are required", where))
		case seen[c.Component]:
			errs = append(errs, fmt.Errorf("%s: component listed twice", where))
		}
		seen[c.Component] = true
		if c.Name != "" && !validName(c.Name) {
			errs = append(errs, fmt.Errorf("%s: name %q: want a chart name (letters, digits, '.', '_' and '-', at most %d, not a path)", where, c.Name, maxName))
		}
		if _, err := semver.NewVersion(c.Version); c.Version != "" && err != nil {
			errs = append(errs, fmt.Errorf("%s: version %q is not a semantic version", where, c.Version))
		}
		if c.Format != FormatArchive && c.Format != FormatDirectory {
			errs = append(errs, fmt.Errorf("%s: format %q: want %s or %s", where, c.Format, FormatArchive, FormatDirectory))
		}
		if !digest.Valid(c.Digest) {
			errs = append(errs, fmt.Errorf("%s: digest %q: want sha256: and 64 hex digits", where, c.Digest))
		}
	}
	if f.ImagesDigest != "" && !digest.Valid(f.ImagesDigest) {
		errs = append(errs, fmt.Errorf("imagesDigest %q: want sha256: and 64 hex digits", f.ImagesDigest))
	}
	return errors.Join(errs...)
}

// maxName bounds a chart name; Kubernetes names, which a release name
// usually repeats, stop at 253.
const maxName = 253

// validName reports whether a chart name is one path element of plain
// characters. A bundle names its files after the chart (charts/<name>-
// <version>.tgz), so a name from a lock, an index or a Chart.yaml that
// could climb out of a directory (Helm's own check only refuses "/" and
// "..") is refused before it becomes a path.
func validName(n string) bool {
	if n == "" || len(n) > maxName || n == "." || n == ".." {
		return false
	}
	for _, c := range n {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// Encode renders the lock, entries sorted by component.
func (f *File) Encode() ([]byte, error) {
	out := sorted(f)
	out.APIVersion, out.Kind = APIVersion, Kind
	if err := out.validate(); err != nil {
		return nil, err
	}
	data, err := yaml.Marshal(out)
	if err != nil {
		return nil, err
	}
	head := "# Written by slipway (up --lock, bundle create --lock). `slipway up --locked`\n# installs exactly these chart versions and refuses any whose digest differs.\n"
	return append([]byte(head), data...), nil
}

// sorted is a copy of f with its charts in component order.
func sorted(f *File) *File {
	out := *f
	out.Charts = slices.Clone(f.Charts)
	slices.SortFunc(out.Charts, func(a, b Chart) int { return strings.Compare(a.Component, b.Component) })
	return &out
}

// Read loads a lock file.
func Read(path string) (*File, error) {
	data, err := limit.ReadFile(path, limit.Lock, "lock file")
	var tl *limit.TooLargeError
	if err != nil {
		if errors.As(err, &tl) {
			return nil, err
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lock file %s does not exist; write one with `slipway up --lock %s`", path, path)
		}
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	return Decode(path, data)
}

// Write stores the lock at path atomically (a temp file in the same
// directory, renamed over it) with mode 0600: slipway writes no file
// that others can read. Git applies its own mode once it is committed.
func (f *File) Write(path string) error {
	data, err := f.Encode()
	if err != nil {
		return fmt.Errorf("lock file %s: %w", path, err)
	}
	return digest.WriteFileAtomic(path, data, 0o600)
}

// Component is what a lock is matched against: one component of the
// selected profile, with its chart name (empty for a local path, whose
// name is known only after loading) and version constraint.
type Component struct {
	Name, Chart, Constraint string
}

// Match checks that the lock was written for this profile and covers
// every component with a version its constraint allows. Entries for
// components the profile does not select (--without, a choice) are
// ignored. All problems are reported together.
func (f *File) Match(file, profile, version string, comps []Component) error {
	var errs []error
	if f.Profile != profile || f.ProfileVersion != version {
		errs = append(errs, fmt.Errorf("lock file %s was written for profile %s@%s, not %s@%s; pass the profile it was made for, or write a new lock with `slipway up --lock %s`", file, f.Profile, f.ProfileVersion, profile, version, file))
	}
	for _, c := range comps {
		e, ok := f.Get(c.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("lock file %s has no entry for component %s; write a new lock with `slipway up --lock %s` using the same flags", file, c.Name, file))
			continue
		}
		if c.Chart != "" && e.Name != c.Chart {
			errs = append(errs, fmt.Errorf("lock file %s: component %s is locked to chart %s, but the profile installs chart %s; write a new lock", file, c.Name, e.Name, c.Chart))
		}
		con, err := semver.NewConstraint(c.Constraint)
		v, verr := semver.NewVersion(e.Version)
		if err == nil && verr == nil && !con.Check(v) {
			errs = append(errs, fmt.Errorf("lock file %s: component %s is locked to %s@%s, which the profile's constraint %q does not allow; write a new lock", file, c.Name, e.Name, e.Version, c.Constraint))
		}
	}
	return errors.Join(errs...)
}

// Verify compares the digest of what was fetched for a component with the
// lock and says what to do when they differ.
func (f *File) Verify(file string, component, actual string) error {
	e, ok := f.Get(component)
	if !ok {
		return fmt.Errorf("lock file %s has no entry for component %s", file, component)
	}
	if e.Digest == actual {
		return nil
	}
	return &MismatchError{File: file, Chart: e, Actual: actual}
}

// MismatchError is a fetched chart whose digest is not the locked one.
// Its message leaves the component name to the caller.
type MismatchError struct {
	File   string
	Chart  Chart
	Actual string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("chart %s@%s has digest %s, but lock file %s expects %s: the chart changed since the lock was written (or the lock was edited); nothing was installed. Check where %s comes from; if the new chart is trusted, write a new lock with `slipway up --lock %s`",
		e.Chart.Name, e.Chart.Version, e.Actual, e.File, e.Chart.Digest, e.Chart.Source, e.File)
}

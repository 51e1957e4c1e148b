package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kblabels "k8s.io/apimachinery/pkg/labels"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// A lean read of a release's latest revision (issue 18).
//
// Helm's storage answers History by decoding every revision of a release
// in full: base64, gunzip, and JSON of the whole release, the chart's
// templates and files included as base64 []byte. Argo CD's release is
// about 5 MB of JSON, and decoding the default profile's releases took
// about 86 ms of the ~350 ms of CPU of a no-op `up` (the lead's profile
// of 15 local runs). Get needs one revision and a few of its fields, so
// it lists the release's Secrets itself, with the same one LIST and
// selector Helm's driver uses, picks the latest by its "version" label,
// and decodes only that one into storedRelease: encoding/json skips the
// fields storedRelease lacks without decoding or allocating them.
//
// What Get returns is what it returned through Helm's storage: the
// highest revision among those that decode (Helm's Query skips a Secret
// it cannot decode), its labels minus Helm's own. A version label not in
// the form Helm writes (strconv.Itoa of the revision), a duplicate, or
// one that disagrees with the revision decoded sends Get back to decoding
// every revision (still lean) and taking the highest, as Helm's path did.
// Actions that need the whole release (upgrade, rollback, repair) keep
// going through Helm's storage.

// maxReleaseJSON bounds what one stored release may decompress to. A
// Secret holds at most 1 MiB, but gzip inflates up to ~1000 times: a
// hostile Secret could otherwise make Get allocate a gigabyte. The
// largest release of the shipped profiles (Argo CD) is about 5 MB.
const maxReleaseJSON = 64 << 20

var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// storedRelease is the part of Helm's stored release (release/v1's
// Release, same JSON names) that Get returns.
type storedRelease struct {
	Name      string         `json:"name"`
	Namespace string         `json:"namespace"`
	Version   int            `json:"version"`
	Config    map[string]any `json:"config"`
	Manifest  string         `json:"manifest"`
	Info      *struct {
		Status       string    `json:"status"`
		LastDeployed time.Time `json:"last_deployed"`
	} `json:"info"`
	Chart *struct {
		Metadata *struct {
			Name       string `json:"name"`
			Version    string `json:"version"`
			AppVersion string `json:"appVersion"`
		} `json:"metadata"`
	} `json:"chart"`
}

// readLatest is Get through the release's Secrets.
func (m *Manager) readLatest(ctx context.Context, secrets corev1client.SecretInterface, name string) (*Info, error) {
	sel := kblabels.Set{"name": name, "owner": "helm"}.AsSelector().String()
	list, err := secrets.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("read history of release %s/%s: %w", m.namespace, name, err)
	}
	r, s := m.latestOf(list.Items)
	if r == nil {
		return nil, nil
	}
	return r.info(s.Labels), nil
}

// latestOf returns the highest revision among items that decodes and the
// Secret it came from; nil if none does.
func (m *Manager) latestOf(items []corev1.Secret) (*storedRelease, *corev1.Secret) {
	if byLabel, ok := byVersionLabel(items); ok {
		if r, s, trusted := m.latestByLabel(byLabel); trusted {
			return r, s
		}
	}
	var latest *storedRelease
	var from *corev1.Secret
	for i := range items {
		r, err := decodeStored(items[i].Data["release"])
		if err != nil {
			m.skipped(&items[i], err)
			continue
		}
		if latest == nil || r.Version > latest.Version {
			latest, from = r, &items[i]
		}
	}
	return latest, from
}

// latestByLabel decodes byLabel in its order until one decodes; trusted
// is false if that one's revision is not its label's.
func (m *Manager) latestByLabel(byLabel []labelled) (*storedRelease, *corev1.Secret, bool) {
	for _, c := range byLabel {
		r, err := decodeStored(c.secret.Data["release"])
		if err != nil {
			m.skipped(c.secret, err)
			continue
		}
		if r.Version != c.version {
			return nil, nil, false
		}
		return r, c.secret, true
	}
	return nil, nil, true
}

// skipped logs, as Helm's driver does, a Secret left out because it does
// not decode.
func (m *Manager) skipped(s *corev1.Secret, err error) {
	m.cfg.Logger().Debug("failed to decode release", "key", s.Name, "error", err)
}

type labelled struct {
	secret  *corev1.Secret
	version int
}

// byVersionLabel returns items by their version label, highest first, and
// whether every item has one in the exact form Helm writes, no two alike.
func byVersionLabel(items []corev1.Secret) ([]labelled, bool) {
	out := make([]labelled, 0, len(items))
	for i := range items {
		l := items[i].Labels["version"]
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || strconv.Itoa(v) != l {
			return nil, false
		}
		out = append(out, labelled{secret: &items[i], version: v})
	}
	slices.SortFunc(out, func(a, b labelled) int { return b.version - a.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, false
		}
	}
	return out, true
}

// decodeStored decodes a Secret's "release" data as Helm's driver stores
// it: base64 of gzip (or, from before Helm compressed, of plain JSON).
func decodeStored(data []byte) (*storedRelease, error) {
	b := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(b, data)
	if err != nil {
		return nil, fmt.Errorf("release data is not base64: %w", err)
	}
	b = b[:n]
	if len(b) > 3 && bytes.Equal(b[:3], gzipMagic) {
		if b, err = gunzip(b); err != nil {
			return nil, err
		}
	}
	if pruned := pruneChart(b); pruned != nil {
		b = pruned
	}
	var r storedRelease
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("release data is not a release: %w", err)
	}
	return &r, nil
}

// gunzip inflates b, at most maxReleaseJSON bytes of it.
func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("release data is not gzip: %w", err)
	}
	defer func() { _ = zr.Close() }()
	// gzip's trailer says how large the data is (mod 2³²): a buffer of
	// that size is read into without growing. It is only a hint.
	size := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
	var out bytes.Buffer
	out.Grow(min(size, maxReleaseJSON) + bytes.MinRead)
	if _, err := out.ReadFrom(io.LimitReader(zr, maxReleaseJSON+1)); err != nil {
		return nil, fmt.Errorf("release data is not gzip: %w", err)
	}
	if out.Len() > maxReleaseJSON {
		return nil, fmt.Errorf("release data inflates to more than %d MiB", maxReleaseJSON>>20)
	}
	return out.Bytes(), nil
}

// info is r as Get returns it, labels being its Secret's.
func (r *storedRelease) info(labels map[string]string) *Info {
	info := &Info{Name: r.Name, Namespace: r.Namespace, Revision: r.Version,
		Labels: userLabels(labels), Values: r.Config, Manifest: r.Manifest}
	if r.Info != nil {
		info.Status, info.Updated = Status(r.Info.Status), r.Info.LastDeployed
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		md := r.Chart.Metadata
		info.Chart, info.ChartVersion, info.AppVersion = md.Name, md.Version, md.AppVersion
	}
	return info
}

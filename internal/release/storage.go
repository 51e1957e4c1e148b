package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"time"

	helmrelease "helm.sh/helm/v4/pkg/release"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

// releaseSecrets is Helm's Secrets storage driver with a faster Create
// and Update. Helm gzips each revision it stores at BestCompression:
// Argo CD's release is 5 MB of JSON, and at that level its encoding took
// 277 ms of CPU, twice on the critical path of an install ("creating
// release" before the objects are applied, "updating release" after);
// at gzip's default level it takes 70 ms for a result 3% bigger (397 KB
// against 386 KB; level 1: 31 ms, 565 KB, too close to the limit below
// for charts not much bigger). Everything else of the Secret is Helm's:
// name, type, labels, the base64 of the gzip of the same JSON, so Helm
// (the CLI, and the driver that reads them back here) cannot tell the
// difference. Reads, lists, queries and deletes are Helm's own.
type releaseSecrets struct {
	*driver.Secrets
	secrets func() (corev1.SecretInterface, error)
}

// storedLevel is the gzip level releaseSecrets stores releases at.
const storedLevel = gzip.DefaultCompression

// maxStoredRelease is the biggest encoded release releaseSecrets stores
// at storedLevel: a Secret's data may hold 1 MiB (corev1.MaxSecretSize).
// A bigger one is encoded again at Helm's level, so a release that Helm
// could store, slipway stores too.
const maxStoredRelease = 1<<20 - 64<<10

// withFastEncoding returns d with releaseSecrets' Create and Update when
// d is Helm's Secrets driver, d itself otherwise; secrets are the Secrets
// of its namespace, made when first used (Manager.secrets).
func withFastEncoding(d driver.Driver, secrets func() (corev1.SecretInterface, error)) driver.Driver {
	s, ok := d.(*driver.Secrets)
	if !ok {
		return d
	}
	return releaseSecrets{Secrets: s, secrets: secrets}
}

// Create stores a new revision, as driver.Secrets.Create does.
func (d releaseSecrets) Create(key string, rel helmrelease.Releaser) error {
	rls, err := toV1(rel)
	if err != nil {
		return err
	}
	obj, err := releaseSecret(key, rls, "createdAt")
	if err != nil {
		return fmt.Errorf("create: failed to encode release %q: %w", rls.Name, err)
	}
	c, err := d.secrets()
	if err != nil {
		return fmt.Errorf("create: failed to create: %w", err)
	}
	if _, err := c.Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return driver.ErrReleaseExists
		}
		return fmt.Errorf("create: failed to create: %w", err)
	}
	return nil
}

// Update stores a revision again, as driver.Secrets.Update does.
func (d releaseSecrets) Update(key string, rel helmrelease.Releaser) error {
	rls, err := toV1(rel)
	if err != nil {
		return err
	}
	obj, err := releaseSecret(key, rls, "modifiedAt")
	if err != nil {
		return fmt.Errorf("update: failed to encode release %q: %w", rls.Name, err)
	}
	c, err := d.secrets()
	if err != nil {
		return fmt.Errorf("update: failed to update: %w", err)
	}
	if _, err := c.Update(context.Background(), obj, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update: failed to update: %w", err)
	}
	return nil
}

// releaseSecret is the Secret Helm's driver makes of rls (its
// newSecretsObject), stamped now under the label stamp, with the release
// encoded by encodeRelease. The labels are set in Helm's order, so a
// release label that is also a system one ends as Helm's would.
func releaseSecret(key string, rls *rspb.Release, stamp string) (*v1.Secret, error) {
	data, err := encodeRelease(rls, maxStoredRelease)
	if err != nil {
		return nil, err
	}
	lbs := maps.Clone(rls.Labels)
	if lbs == nil {
		lbs = map[string]string{}
	}
	lbs[stamp] = strconv.FormatInt(time.Now().Unix(), 10)
	maps.Copy(lbs, rls.Labels)
	lbs["name"] = rls.Name
	lbs["owner"] = "helm"
	lbs["status"] = rls.Info.Status.String()
	lbs["version"] = strconv.Itoa(rls.Version)
	return &v1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: key, Labels: lbs},
		Type:       "helm.sh/release.v1",
		Data:       map[string][]byte{"release": data},
	}, nil
}

// encodeRelease is Helm's encoding of a release (base64 of the gzip of
// its JSON) at storedLevel, or at Helm's BestCompression when that is
// bigger than limit.
func encodeRelease(rls *rspb.Release, limit int) ([]byte, error) {
	b, err := json.Marshal(rls)
	if err != nil {
		return nil, err
	}
	out, err := gzipBase64(b, storedLevel)
	if err != nil || len(out) <= limit {
		return out, err
	}
	return gzipBase64(b, gzip.BestCompression)
}

func gzipBase64(b []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(buf.Len()))
	base64.StdEncoding.Encode(out, buf.Bytes())
	return out, nil
}

package kube

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// CRDs is the resource of CustomResourceDefinitions.
var CRDs = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// ObjectID is what names an object in a manifest document.
type ObjectID struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// DecodeHead reads which object one document of a rendered manifest is
// into a T: from its head alone (ManifestHead) when that parses and
// complete says it is enough, else from the whole document. ok is false
// when neither does: comments only, or not an object.
func DecodeHead[T any](doc string, complete func(*T) bool) (v T, ok bool) {
	if h, cut := ManifestHead(doc); cut && yaml.Unmarshal([]byte(h), &v) == nil && complete(&v) {
		return v, true
	}
	var whole T
	if err := yaml.Unmarshal([]byte(doc), &whole); err != nil || !complete(&whole) {
		return whole, false
	}
	return whole, true
}

// ManifestHead cuts one YAML document of a rendered manifest down to its
// top-level apiVersion, kind and metadata, so that which object it is can
// be read without parsing the rest: a CRD's schema is most of a chart's
// manifest (Argo CD's three CRDs are about 1 MB), and parsing all of it
// to learn a name was most of the local CPU of `status` and of a no-op
// `up` (issue 18).
//
// It works line by line on block-style YAML, as Helm renders it: a line
// at column 0 that is not a comment starts a top-level key, every other
// line (indented, blank, or a "- " item of a sequence written at the
// key's own column) belongs to the key above. ok is false when doc is
// written some other way (flow style or JSON, a directive, a key without
// a colon, a document end): the caller then parses the whole document. A
// head that does not parse (an alias of an anchor defined further down,
// say) is the caller's cue to do the same.
func ManifestHead(doc string) (head string, ok bool) {
	var b strings.Builder
	keep, seenKey := false, false
	for line := range strings.Lines(doc) {
		switch c := line[0]; {
		case strings.HasPrefix(line, "---"):
			// the separator itself, when doc still starts with it
			if rest := strings.TrimSpace(line[3:]); rest != "" && rest[0] != '#' {
				return "", false // content on the separator's line
			}
			keep = false
			continue
		case strings.HasPrefix(line, "..."):
			return "", false
		case c == ' ' || c == '\n' || c == '\r' || c == '-':
			// part of the key above: an indented line, a blank one, or
			// an item of a sequence at the key's column
			if t := strings.TrimSpace(line); !seenKey && t != "" && t[0] != '#' {
				return "", false // content before the first key: not a plain mapping
			}
		case c == '#':
			continue
		default:
			key, isKey := topLevelKey(line)
			if !isKey {
				return "", false
			}
			seenKey = true
			// Any case: the parse that follows matches field names as
			// encoding/json does.
			keep = strings.EqualFold(key, "apiVersion") || strings.EqualFold(key, "kind") || strings.EqualFold(key, "metadata")
		}
		if keep {
			b.WriteString(line)
		}
	}
	return b.String(), true
}

// topLevelKey returns the key a column-0 line of a block mapping starts
// with; isKey is false for anything else.
func topLevelKey(line string) (key string, isKey bool) {
	c := line[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '"' || c == '\'') {
		return "", false
	}
	i := strings.Index(line, ":")
	if i < 0 {
		return "", false
	}
	if rest := line[i+1:]; rest != "" && rest[0] != ' ' && rest[0] != '\n' && rest[0] != '\r' {
		return "", false // a colon inside the key, e.g. a URL: leave it to the parser
	}
	return strings.Trim(line[:i], `"'`), true
}

package kube

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// A head must name the object the whole document names.
var manifestDocs = map[string]string{
	"crd with a huge schema": `
# Source: argo-cd/templates/crds/crd-application.yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    "helm.sh/resource-policy": keep
  labels:
    app.kubernetes.io/name: argocd
  name: applications.argoproj.io
spec:
  group: argoproj.io
  names:
    kind: Application
  versions:
  - name: v1alpha1
    schema:
      openAPIV3Schema:
        description: |
          kind: NotThis
          metadata:
            name: not-this
        properties:
          kind:
            type: string
`,
	"compact sequence at column 0": `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
rules:
- apiGroups:
  - ""
  resources: ["pods"]
metadata:
  name: reader
`,
	"quoted keys and trailing comment": `---  # first
"apiVersion": v1
'kind': ConfigMap # a comment
metadata: # the object
  name: "cm"
  namespace: other
data:
  key: |
    kind: Secret
`,
	"block scalar at top level": `
apiVersion: v1
kind: ConfigMap
description: |
  metadata:
    name: wrong
metadata:
  name: right
`,
}

func fullID(t *testing.T, doc string) ObjectID {
	t.Helper()
	var id ObjectID
	if err := yaml.Unmarshal([]byte(doc), &id); err != nil {
		t.Fatalf("full parse: %v", err)
	}
	return id
}

func TestManifestHeadNamesTheSameObject(t *testing.T) {
	for name, doc := range manifestDocs {
		t.Run(name, func(t *testing.T) {
			head, ok := ManifestHead(doc)
			if !ok {
				t.Fatalf("ManifestHead refused a block-style document")
			}
			if strings.Contains(head, "\nspec:") || strings.Contains(head, "\ndata:") || strings.Contains(head, "\nrules:") || strings.Contains(head, "\ndescription:") {
				t.Errorf("head kept more than apiVersion, kind and metadata:\n%s", head)
			}
			var got ObjectID
			if err := yaml.Unmarshal([]byte(head), &got); err != nil {
				t.Fatalf("head does not parse: %v\n%s", err, head)
			}
			if want := fullID(t, doc); got != want || got.Kind == "" || got.Metadata.Name == "" {
				t.Errorf("head names %+v, the document %+v", got, want)
			}
		})
	}
}

// Anything not written in plain block style is left to the full parser.
func TestManifestHeadRefusesOtherStyles(t *testing.T) {
	for _, doc := range []string{
		`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}`,
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n...\n",
		"--- {apiVersion: v1}\n",
		"%YAML 1.2\n---\napiVersion: v1\n",
		"apiVersion: v1\nkind: ConfigMap\ndescription: a long\nline\n",
		"http://example.com: x\n",
	} {
		if head, ok := ManifestHead(doc); ok {
			t.Errorf("ManifestHead(%q) = %q, want it refused", doc, head)
		}
	}
}

// DecodeHead falls back to the whole document when the head is refused
// or does not say enough, and reports a document that names nothing.
func TestDecodeHead(t *testing.T) {
	named := func(id *ObjectID) bool { return id.Kind != "" && id.Metadata.Name != "" }
	for _, tc := range []struct {
		doc      string
		ok       bool
		kind, nm string
	}{
		{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n", true, "ConfigMap", "cm"},
		// flow style: ManifestHead refuses it, the full parse reads it
		{`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}`, true, "Secret", "s"},
		// the name is an alias of an anchor outside the head: the head
		// alone does not parse, the whole document does
		{"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: &n cm2\nmetadata:\n  name: *n\n", true, "ConfigMap", "cm2"},
		{"# only a comment\n", false, "", ""},
		{"apiVersion: v1\nkind: ConfigMap\n", false, "ConfigMap", ""},
	} {
		got, ok := DecodeHead(tc.doc, named)
		if ok != tc.ok || got.Kind != tc.kind || got.Metadata.Name != tc.nm {
			t.Errorf("DecodeHead(%q) = %+v, %v; want kind %q name %q, %v", tc.doc, got, ok, tc.kind, tc.nm, tc.ok)
		}
	}
}

// FuzzManifestHead: whenever the head is taken and names an object, the
// whole document, if it parses, names the same one.
func FuzzManifestHead(f *testing.F) {
	for _, doc := range manifestDocs {
		f.Add(doc)
	}
	f.Add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: &n x\nstringData:\n  a: *n\n")
	f.Fuzz(func(t *testing.T, doc string) {
		head, ok := ManifestHead(doc)
		if !ok {
			return
		}
		var got, want ObjectID
		if yaml.Unmarshal([]byte(head), &got) != nil || got.Kind == "" || got.Metadata.Name == "" {
			return // the caller parses the whole document
		}
		if yaml.Unmarshal([]byte(doc), &want) != nil {
			return // not a document Helm would have applied
		}
		if got != want {
			t.Errorf("head names %+v, the document %+v", got, want)
		}
	})
}

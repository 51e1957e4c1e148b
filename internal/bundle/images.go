package bundle

import (
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// ImagesOf lists the container images a rendered manifest uses: the image
// of every container, init container and ephemeral container of any
// object (Pods, workload templates, Jobs, CronJobs, and custom resources
// that embed a pod spec), sorted and unique. A ConfigMap's values are
// read as YAML too: Jenkins configuration-as-code keeps the agent pod
// template's containers there (the Jenkins chart's jnlp container).
func ImagesOf(manifest string) []string {
	var out []string
	for _, doc := range strings.Split(manifest, "\n---") {
		var obj any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			continue
		}
		collect(obj, &out)
		if m, ok := obj.(map[string]any); ok && m["kind"] == "ConfigMap" {
			data, _ := m["data"].(map[string]any)
			for _, v := range data {
				var inner any
				if s, ok := v.(string); ok && yaml.Unmarshal([]byte(s), &inner) == nil {
					collect(inner, &out)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func collect(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if k == "containers" || k == "initContainers" || k == "ephemeralContainers" {
				if list, ok := child.([]any); ok {
					for _, c := range list {
						if m, ok := c.(map[string]any); ok {
							if img, ok := m["image"].(string); ok && strings.TrimSpace(img) != "" {
								*out = append(*out, strings.TrimSpace(img))
							}
						}
					}
				}
			}
			collect(child, out)
		}
	case []any:
		for _, child := range x {
			collect(child, out)
		}
	}
}

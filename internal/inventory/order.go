package inventory

import (
	"slices"
	"sort"
)

// Ordered returns entries in needs order: dependencies first, then by
// name. A needs cycle (an edited inventory) cannot make it loop.
func Ordered(entries []Entry) []Entry {
	depth := map[string]int{}
	byName := map[string]Entry{}
	for _, e := range entries {
		byName[e.Component] = e
	}
	var visit func(string, int) int
	visit = func(n string, guard int) int {
		if d, ok := depth[n]; ok || guard > len(entries) {
			return d
		}
		d := 0
		for _, x := range byName[n].Needs {
			if _, ok := byName[x]; ok {
				d = max(d, visit(x, guard+1)+1)
			}
		}
		depth[n] = d
		return d
	}
	out := slices.Clone(entries)
	for _, e := range out {
		visit(e.Component, 0)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if depth[out[i].Component] != depth[out[j].Component] {
			return depth[out[i].Component] < depth[out[j].Component]
		}
		return out[i].Component < out[j].Component
	})
	return out
}

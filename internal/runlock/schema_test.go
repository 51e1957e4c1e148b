package runlock

import "k8s.io/apimachinery/pkg/runtime/schema"

func coordinationResource() schema.GroupResource {
	return schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
}

package wait

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func crashingPod(name, app string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "app", Labels: map[string]string{"app": app}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "main",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}},
	}
}

// TestPodTroubleSharesOneListPerNamespace: every pending workload of a
// namespace looks at one pod list, made again only when it is podsFresh
// old (issue 18: a list per workload per check was most of a cold up's
// requests), and each still finds only its own pods.
func TestPodTroubleSharesOneListPerNamespace(t *testing.T) {
	client := fake.NewClientset(crashingPod("web-1", "web"))
	lists := 0
	client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		lists++
		return false, nil, nil
	})
	now := time.Unix(1000, 0)
	w := &Waiter{Client: client, Now: func() time.Time { return now }}
	web, other := deployment(false), deployment(false)
	other.SetName("other")
	other.Object["spec"].(map[string]any)["selector"] = map[string]any{"matchLabels": map[string]any{"app": "other"}}
	ctx := context.Background()
	if got := podTrouble(ctx, web, w.namespacePods); got != "pod web-1: container main: CrashLoopBackOff" {
		t.Errorf("web: %q", got)
	}
	if got := podTrouble(ctx, other, w.namespacePods); got != "" {
		t.Errorf("other: %q, want no trouble (not its pod)", got)
	}
	if lists != 1 {
		t.Errorf("%d pod lists for two workloads of one namespace, want 1", lists)
	}
	now = now.Add(podsFresh)
	podTrouble(ctx, web, w.namespacePods)
	if lists != 2 {
		t.Errorf("%d pod lists after podsFresh, want a new one", lists)
	}
}

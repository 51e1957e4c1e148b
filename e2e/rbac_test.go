package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// userKubeconfig returns a kubeconfig for one of the hermetic cluster's
// token users (sim.Users), who can do nothing until a test grants it.
func userKubeconfig(t *testing.T, user string) string {
	t.Helper()
	if env.cluster == nil {
		t.Skip("restricted-user tests need the hermetic cluster's token users, not E2E_KUBECONFIG")
	}
	path, err := env.cluster.UserKubeconfig(user)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// tokenKubeconfig writes a kubeconfig for the cluster under test with the
// given bearer token and context name.
func tokenKubeconfig(t *testing.T, context, token string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: env.config.Host, CertificateAuthorityData: env.config.CAData, CertificateAuthority: env.config.CAFile}
	cfg.AuthInfos["e2e"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[context] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "e2e"}
	cfg.CurrentContext = context
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// grantCluster gives user the rules cluster-wide until the test ends.
func grantCluster(t *testing.T, user string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	ctx := context.Background()
	name := "e2e-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + user
	rbac := env.client.RbacV1()
	if _, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rbac.ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
		rbac.ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
	})
}

// grantNamespace gives user the rules in one namespace until the test
// ends (or until the returned function revokes them).
func grantNamespace(t *testing.T, user, ns string, rules ...rbacv1.PolicyRule) (revoke func()) {
	t.Helper()
	ctx := context.Background()
	name := "e2e-" + user
	rbac := env.client.RbacV1()
	if _, err := rbac.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	revoke = func() {
		rbac.RoleBindings(ns).Delete(ctx, name, metav1.DeleteOptions{})
		rbac.Roles(ns).Delete(ctx, name, metav1.DeleteOptions{})
	}
	t.Cleanup(revoke)
	return revoke
}

// ensureNamespaceExists creates ns as admin if it is missing.
func ensureNamespaceExists(t *testing.T, ns string) {
	t.Helper()
	_, err := env.client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// TestBadInputCluster is the part of the bad-input catalogue that needs a
// cluster (the rest is internal/app's TestBadInputCatalogue): rejected
// credentials and missing permissions, each with its message and exit
// code, and nothing installed.
func TestBadInputCluster(t *testing.T) {
	t.Run("invalid token", func(t *testing.T) {
		kc := tokenKubeconfig(t, "expired", "0123456789abcdef-not-a-token")
		r := slipway(t, "up", "--kubeconfig", kc, "--profile", fixtureProfile(t, "badtoken"), "--chart-mirror", sources.http.URL())
		want := "slipway: context \"expired\": the server " + env.config.Host + " rejected the credentials (401 Unauthorized): the token or client certificate in the kubeconfig (" + kc +
			") is expired or wrong; fetch fresh credentials for the cluster (e.g. `kind export kubeconfig`, or your provider's get-credentials command)\n"
		if r.code != 1 || !strings.HasSuffix(r.stderr, want) {
			t.Errorf("exit %d, want 1; stderr does not end with\n%s", r.code, want)
		}
		assertNothingInstalled(t, "badtoken")
	})

	t.Run("no permission to take the run lock", func(t *testing.T) {
		kc := userKubeconfig(t, "bob") // bob may do nothing at all
		r := slipway(t, "up", "--kubeconfig", kc, "--profile", fixtureProfile(t, "nolease"), "--chart-mirror", sources.http.URL())
		want := "slipway: not allowed to take the run lock (lease slipway-system/slipway-run): slipway needs create, get, update and delete on leases.coordination.k8s.io in namespace slipway-system: " +
			`leases.coordination.k8s.io is forbidden: User "bob" cannot create resource "leases" in API group "coordination.k8s.io" in the namespace "slipway-system"` + "\n"
		if r.code != 1 || !strings.HasSuffix(r.stderr, want) {
			t.Errorf("exit %d, want 1; stderr does not end with\n%s", r.code, want)
		}
		assertNothingInstalled(t, "nolease")
	})

	t.Run("no permission to read secrets", func(t *testing.T) {
		kc := userKubeconfig(t, "bob") // bob may take the run lock, nothing else
		grantRunLock(t, "bob")
		r := slipway(t, "up", "--kubeconfig", kc, "--profile", fixtureProfile(t, "nosecrets"), "--chart-mirror", sources.http.URL())
		want := "slipway: not allowed to read secret nosecrets-ci/ci-admin-credentials (the admin credentials of component ci): slipway needs get and create on secrets in namespace nosecrets-ci: " +
			`secrets "ci-admin-credentials" is forbidden: User "bob" cannot get resource "secrets" in API group "" in the namespace "nosecrets-ci"` + "\n"
		if r.code != 1 || !strings.HasSuffix(r.stderr, want) {
			t.Errorf("exit %d, want 1; stderr does not end with\n%s", r.code, want)
		}
		assertNothingInstalled(t, "nosecrets")
	})

	t.Run("no permission to create namespaces", func(t *testing.T) {
		// bob may read and write Secrets and ConfigMaps anywhere, read
		// namespaces and list nodes (for the preflight checks), but not
		// create namespaces. The inventory's namespace exists already, as
		// on any cluster slipway was used on.
		grantCluster(t, "bob",
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: []string{"get", "list", "create", "update"}},
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces", "nodes"}, Verbs: []string{"get", "list"}})
		ensureNamespaceExists(t, "slipway-system")
		grantRunLock(t, "bob")
		kc := userKubeconfig(t, "bob")
		r := slipway(t, "up", "--kubeconfig", kc, "--profile", fixtureProfile(t, "nonsperm"), "--chart-mirror", sources.http.URL())
		want := "slipway: ingress: not allowed to create namespace nonsperm-ingress: slipway needs `create` on namespaces (cluster scope), or create it beforehand: " +
			`namespaces is forbidden: User "bob" cannot create resource "namespaces" in API group "" at the cluster scope`
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, want 1; stderr lacks\n%s", r.code, want)
		}
		assertNamespacesAbsent(t, "nonsperm")
	})
}

// assertNamespacesAbsent checks that none of the fixture profile's
// namespaces with this prefix exists.
func assertNamespacesAbsent(t *testing.T, prefix string) {
	t.Helper()
	for _, ns := range []string{prefix + "-ingress", prefix + "-ci", prefix + "-gitops"} {
		if _, err := env.client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace %s exists (err %v)", ns, err)
		}
	}
}

// grantRunLock lets user take slipway's run lock (package runlock), in
// slipway's namespace, which it makes exist.
func grantRunLock(t *testing.T, user string) {
	t.Helper()
	ensureNamespaceExists(t, "slipway-system")
	grantNamespace(t, user, "slipway-system", rbacv1.PolicyRule{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create", "get", "update", "delete", "watch"}})
}

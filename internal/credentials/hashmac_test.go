package credentials

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func argoSpec(h *Hash) Spec {
	return Spec{Component: "argocd", Namespace: "argocd", SecretName: "argocd-admin-credentials",
		Username: "admin", UsernameKey: "username", PasswordKey: "password", Length: 24, Hash: h}
}

// updates counts the Secret updates the fake clientset saw.
func updates(c *fake.Clientset) int {
	n := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == "update" {
			n++
		}
	}
	return n
}

func TestEnsureKeepsTheMACOfTheHash(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	s := &Store{Client: c, Now: clock}
	cred, err := s.Ensure(ctx, argoSpec(&Hash{Password: "pw-one", Bcrypt: "$2a$10$one"}), "pw-one", false)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := c.CoreV1().Secrets("argocd").Get(ctx, "argocd-admin-credentials", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(sec.Data[KeyHashMAC]); got != hashMAC("pw-one", "$2a$10$one") || len(got) != 64 {
		t.Fatalf("MAC %q", got)
	}
	for k, v := range sec.Labels {
		if strings.Contains(v, string(sec.Data[KeyHashMAC])) {
			t.Errorf("the MAC is in label %s", k)
		}
	}
	for k, v := range sec.Annotations {
		if strings.Contains(v, string(sec.Data[KeyHashMAC])) {
			t.Errorf("the MAC is in annotation %s", k)
		}
	}
	if !cred.Vouches("$2a$10$one") || cred.Vouches("$2a$10$two") || cred.Vouches("") {
		t.Error("the created credential vouches for the wrong hashes")
	}
	read, err := s.Read(ctx, "argocd", "argocd", "argocd-admin-credentials")
	if err != nil || !read.Vouches("$2a$10$one") {
		t.Fatalf("read back: vouches %v, %v", read.Vouches("$2a$10$one"), err)
	}

	// Kept as it is: no write.
	before := updates(c)
	if _, err := s.Ensure(ctx, argoSpec(&Hash{Password: "pw-one", Bcrypt: "$2a$10$one"}), "", false); err != nil {
		t.Fatal(err)
	}
	if updates(c) != before {
		t.Error("Ensure rewrote a Secret whose MAC was up to date")
	}
	// A new hash of the same password: the MAC follows, unless dry-run.
	if _, err := s.Ensure(ctx, argoSpec(&Hash{Password: "pw-one", Bcrypt: "$2a$10$new"}), "", true); err != nil || updates(c) != before {
		t.Fatalf("dry run wrote: %v", err)
	}
	cred, err = s.Ensure(ctx, argoSpec(&Hash{Password: "pw-one", Bcrypt: "$2a$10$new"}), "", false)
	if err != nil || !cred.Vouches("$2a$10$new") || cred.Vouches("$2a$10$one") {
		t.Fatalf("after a new hash: %v", err)
	}
	// A hash made for another password is never vouched for.
	cred, err = s.Ensure(ctx, argoSpec(&Hash{Password: "pw-other", Bcrypt: "$2a$10$other"}), "", false)
	if err != nil || cred.Vouches("$2a$10$other") || !cred.Vouches("$2a$10$new") {
		t.Fatalf("a hash of another password: %v", err)
	}
}

func TestCreateWithoutAMatchingHashKeepsNoMAC(t *testing.T) {
	ctx := context.Background()
	for name, h := range map[string]*Hash{"none": nil, "another password's": {Password: "x", Bcrypt: "$2a$10$x"}} {
		c := fake.NewClientset()
		if _, err := (&Store{Client: c, Now: clock}).Ensure(ctx, argoSpec(h), "pw", false); err != nil {
			t.Fatal(err)
		}
		sec, _ := c.CoreV1().Secrets("argocd").Get(ctx, "argocd-admin-credentials", metav1.GetOptions{})
		if _, ok := sec.Data[KeyHashMAC]; ok || len(sec.Data) != 2 {
			t.Errorf("%s hash: keys %v, want the username and password only", name, sec.Data)
		}
	}
}

// TestVouchesOnlyForAWellFormedMatchingMAC: a MAC not in the exact form
// slipway writes is ignored, and one that no longer matches the password
// (edited by hand) vouches for nothing.
func TestVouchesOnlyForAWellFormedMatchingMAC(t *testing.T) {
	ctx := context.Background()
	good := hashMAC("pw", "$2a$10$h")
	for _, tc := range []struct {
		name, password, mac string
		want                bool
	}{
		{"matching", "pw", good, true},
		{"password edited by hand", "pw2", good, false},
		{"upper case", "pw", strings.ToUpper(good), false},
		{"short", "pw", good[:63], false},
		{"long", "pw", good + "0", false},
		{"not hex", "pw", "g" + good[1:], false},
		{"spaces", "pw", " " + good[1:], false},
		{"empty", "pw", "", false},
		{"no password", "", hashMAC("", "$2a$10$h"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			s := &Store{Client: c, Now: clock}
			if _, err := s.Ensure(ctx, argoSpec(nil), "pw", false); err != nil {
				t.Fatal(err)
			}
			sec, _ := c.CoreV1().Secrets("argocd").Get(ctx, "argocd-admin-credentials", metav1.GetOptions{})
			sec.Data["password"], sec.Data[KeyHashMAC] = []byte(tc.password), []byte(tc.mac)
			if _, err := c.CoreV1().Secrets("argocd").Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			cred, err := s.Read(ctx, "argocd", "argocd", "argocd-admin-credentials")
			if err != nil {
				t.Fatal(err)
			}
			if got := cred.Vouches("$2a$10$h"); got != tc.want {
				t.Errorf("vouches %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRotateKeepsTheNewHashesMAC(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	s := &Store{Client: c, Now: clock}
	if _, err := s.Ensure(ctx, argoSpec(&Hash{Password: "old", Bcrypt: "$2a$10$old"}), "old", false); err != nil {
		t.Fatal(err)
	}
	cred, err := s.Rotate(ctx, argoSpec(&Hash{Password: "new", Bcrypt: "$2a$10$new"}), "new")
	if err != nil || cred.Password != "new" || !cred.Vouches("$2a$10$new") || cred.Vouches("$2a$10$old") {
		t.Fatalf("rotate with the new hash: %v", err)
	}
	// Without a hash (a chart that takes none) the old MAC goes.
	if cred, err = s.Rotate(ctx, argoSpec(nil), "newer"); err != nil || cred.Vouches("$2a$10$new") {
		t.Fatalf("rotate without a hash: %v", err)
	}
	sec, _ := c.CoreV1().Secrets("argocd").Get(ctx, "argocd-admin-credentials", metav1.GetOptions{})
	if _, ok := sec.Data[KeyHashMAC]; ok {
		t.Error("a stale MAC was kept")
	}
}

// TestNoMACForAnEmptyPassword: a Secret slipway labelled whose password
// is gone (edited by hand) gets no MAC, and Ensure does not fail on it.
func TestNoMACForAnEmptyPassword(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	s := &Store{Client: c, Now: clock}
	if _, err := s.Ensure(ctx, argoSpec(nil), "pw", false); err != nil {
		t.Fatal(err)
	}
	sec, _ := c.CoreV1().Secrets("argocd").Get(ctx, "argocd-admin-credentials", metav1.GetOptions{})
	sec.Data = nil
	if _, err := c.CoreV1().Secrets("argocd").Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	cred, err := s.Ensure(ctx, argoSpec(&Hash{Password: "", Bcrypt: "$2a$10$h"}), "", false)
	if err != nil || cred.Vouches("$2a$10$h") {
		t.Fatalf("vouches %v, %v", cred.Vouches("$2a$10$h"), err)
	}
}

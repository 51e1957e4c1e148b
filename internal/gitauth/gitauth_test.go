package gitauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// keyFiles writes an ed25519 private key (mode 0600) and a known_hosts
// line for hosts into dir.
func keyFiles(t *testing.T, dir string, hosts ...string) (key, known string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key = filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	known = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, []byte("# from ssh-keyscan\n"+knownhosts.Line(hosts, sshPub)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return key, known
}

func TestCheckSSH(t *testing.T) {
	dir := t.TempDir()
	key, known := keyFiles(t, dir, "git.example")
	for _, repo := range []string{"git@git.example:org/platform.git", "ssh://git@git.example/org/platform.git", "ssh://git@git.example:22/org/platform.git"} {
		r, err := Check(Flags{SSHKey: key, KnownHosts: known}, repo)
		if err != nil {
			t.Fatalf("%s: %v", repo, err)
		}
		if !r.SSH() || !strings.Contains(string(r.SSHKey), "OPENSSH PRIVATE KEY") || !strings.Contains(string(r.KnownHosts), "git.example ssh-ed25519 ") {
			t.Errorf("%s: request %+v", repo, r)
		}
	}
	// A host on another port is written [host]:port in known_hosts, and a
	// hashed entry (ssh-keygen -H) matches too.
	_, portKnown := keyFiles(t, t.TempDir(), "[git.example]:2222")
	if _, err := Check(Flags{SSHKey: key, KnownHosts: portKnown}, "ssh://git@git.example:2222/org/p.git"); err != nil {
		t.Errorf("[host]:port: %v", err)
	}
	_, hashed := keyFiles(t, t.TempDir(), knownhosts.HashHostname("git.example"))
	if _, err := Check(Flags{SSHKey: key, KnownHosts: hashed}, "git@git.example:org/p.git"); err != nil {
		t.Errorf("hashed host: %v", err)
	}
}

func TestCheckRefuses(t *testing.T) {
	dir := t.TempDir()
	key, known := keyFiles(t, dir, "git.example")
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	open := write("open-key", string(must(os.ReadFile(key))), 0o644)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	locked := write("locked-key", string(pem.EncodeToMemory(block)), 0o600)
	pub := write("id.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n", 0o600)
	token := write("token", "ghp_example\n", 0o600)
	twoLines := write("two", "one\ntwo\n", 0o600)
	_, otherHost := keyFiles(t, t.TempDir(), "other.example")
	garbage := write("garbage_hosts", "this is not a known hosts line\n", 0o644)
	const https, sshURL = "https://git.example/org/p.git", "git@git.example:org/p.git"
	for _, tc := range []struct {
		name string
		f    Flags
		repo string
		want string
	}{
		{"password without username", Flags{Password: "@" + token}, https,
			"--gitops-password needs --gitops-username USER: the name the Git server expects with the password or token (with a GitHub token any name works; GitLab expects oauth2)"},
		{"username without password", Flags{Username: "bot"}, https,
			"--gitops-username needs --gitops-password @FILE (or secret:NAMESPACE/NAME): the password or token to log in with"},
		{"plain password", Flags{Username: "bot", Password: "hunter2"}, https,
			"--gitops-password …: a password on the command line lands in shell history and process lists; put it in a file and pass --gitops-password @FILE, or in a Secret and pass --gitops-password secret:NAMESPACE/NAME"},
		{"password file of two lines", Flags{Username: "bot", Password: "@" + twoLines}, https,
			"--gitops-password @" + twoLines + ": the password spans more than one line; put only the password or token in it"},
		{"secret without a name", Flags{Username: "bot", Password: "secret:ns"}, https,
			"--gitops-password secret:ns: want secret:NAMESPACE/NAME[:KEY]"},
		{"user name with a colon", Flags{Username: "a:b", Password: "@" + token}, https,
			`--gitops-username "a:b": a user name cannot hold ':' (HTTP basic authentication splits on it)`},
		{"basic auth on an SSH URL", Flags{Username: "bot", Password: "@" + token}, sshURL,
			"--gitops-username/--gitops-password log in over HTTPS, but --gitops-repo git@git.example:org/p.git is an SSH URL: use --gitops-ssh-key, or the repository's https:// URL"},
		{"both ways", Flags{Username: "bot", Password: "@" + token, SSHKey: key, KnownHosts: known}, https,
			"--gitops-username/--gitops-password and --gitops-ssh-key/--gitops-known-hosts are two ways to log in: use one"},
		{"no repository", Flags{Username: "bot", Password: "@" + token}, "",
			"--gitops-username needs --gitops-repo URL: the credential is for the repository the GitOps agent syncs from"},
		{"key missing", Flags{SSHKey: filepath.Join(dir, "nokey"), KnownHosts: known}, sshURL,
			"--gitops-ssh-key " + dir + "/nokey: open " + dir + "/nokey: no such file or directory"},
		{"key readable by others", Flags{SSHKey: open, KnownHosts: known}, sshURL,
			"--gitops-ssh-key " + open + ": permissions 0644 are too open: a private key must be readable by you only, as ssh requires; run chmod 600 " + open},
		{"key with a passphrase", Flags{SSHKey: locked, KnownHosts: known}, sshURL,
			"--gitops-ssh-key " + locked + ": the key is protected by a passphrase, which Argo CD cannot use; make a deploy key without one: ssh-keygen -t ed25519 -N '' -f deploy-key"},
		{"public key", Flags{SSHKey: pub, KnownHosts: known}, sshURL,
			"--gitops-ssh-key " + pub + ": not an SSH private key (ssh: no key found); give the private half, e.g. ~/.ssh/id_ed25519, not the .pub"},
		{"no known hosts", Flags{SSHKey: key}, sshURL,
			"--gitops-ssh-key needs --gitops-known-hosts FILE: the host keys the agent checks the Git server against (slipway never turns that check off); get them with `ssh-keyscan git.example > known_hosts` and compare their fingerprints (ssh-keygen -lf known_hosts) with the ones your Git host publishes"},
		{"known hosts without a key", Flags{KnownHosts: known}, sshURL,
			"--gitops-known-hosts is for --gitops-ssh-key FILE: host keys check an SSH server"},
		{"known hosts of another host", Flags{SSHKey: key, KnownHosts: otherHost}, sshURL,
			"--gitops-known-hosts " + otherHost + ": no key for git.example, the host of --gitops-repo; add it: ssh-keyscan git.example >> " + otherHost},
		{"known hosts not known_hosts", Flags{SSHKey: key, KnownHosts: garbage}, sshURL,
			"--gitops-known-hosts " + garbage + ":1: not a known_hosts line (illegal base64 data at input byte 0); write it with ssh-keyscan"},
		{"key on an HTTPS URL", Flags{SSHKey: key, KnownHosts: known}, https,
			"--gitops-ssh-key logs in over SSH, but --gitops-repo https://git.example/org/p.git is not an SSH URL: use the repository's ssh://git@HOST/PATH or git@HOST:PATH URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check(tc.f, tc.repo)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestCheckPasswordFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte("ghp_"+strings.Repeat("x", 89)+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Check(Flags{Username: "bot", Password: "@" + p}, "https://git.example/p.git")
	if err != nil {
		t.Fatal(err)
	}
	// A GitHub fine-grained token is 93 characters: no bcrypt limit here.
	if r.Password != "ghp_"+strings.Repeat("x", 89) || r.Username != "bot" || r.SSH() {
		t.Errorf("request %+v", r)
	}
	r, err = Check(Flags{Username: "bot", Password: "secret:ci/git-token"}, "https://git.example/p.git")
	if err != nil || *r.PasswordSecret != (SecretRef{"ci", "git-token", "password"}) {
		t.Errorf("secret ref: %+v, %v", r, err)
	}
	if r, err := Check(Flags{}, "https://git.example/p.git"); r != nil || err != nil {
		t.Errorf("no flags: %+v, %v", r, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

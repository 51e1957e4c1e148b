package gitauth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"unicode"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Bounds on what is read from the user's files: far above any real key,
// token or known_hosts, far below what would hurt.
const (
	maxPassword   = 4 << 10
	maxKey        = 16 << 10
	maxKnownHosts = 256 << 10
	maxUsername   = 256
)

// Flags are the credential flags as given.
type Flags struct {
	Username   string // --gitops-username
	Password   string // --gitops-password: @FILE or secret:NAMESPACE/NAME[:KEY]
	SSHKey     string // --gitops-ssh-key FILE
	KnownHosts string // --gitops-known-hosts FILE
}

// Given reports whether any credential flag was used.
func (f Flags) Given() bool {
	return f.Username != "" || f.Password != "" || f.SSHKey != "" || f.KnownHosts != ""
}

// Request is a checked credential, its files read. A password kept in a
// Secret (PasswordSecret) is read once the cluster is reached.
type Request struct {
	URL      string
	Username string
	Password string
	// PasswordSecret is secret:NAMESPACE/NAME[:KEY], when the password is
	// to be read from the cluster.
	PasswordSecret *SecretRef
	SSHKey         []byte
	KnownHosts     []byte
}

// SSH reports whether the request logs in with a key.
func (r *Request) SSH() bool { return len(r.SSHKey) > 0 }

// SecretRef names a key of a Secret the user made.
type SecretRef struct{ Namespace, Name, Key string }

func (s SecretRef) String() string { return "secret:" + s.Namespace + "/" + s.Name + ":" + s.Key }

// Check validates the flags against the repository URL and reads the
// files, reporting every problem at once. It returns nil, nil when no
// credential flag was given.
func Check(f Flags, repoURL string) (*Request, error) {
	if !f.Given() {
		return nil, nil
	}
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	basic := f.Username != "" || f.Password != ""
	if repoURL == "" {
		fail("%s needs --gitops-repo URL: the credential is for the repository the GitOps agent syncs from", firstFlag(f))
	}
	switch {
	case basic && (f.SSHKey != "" || f.KnownHosts != ""):
		fail("--gitops-username/--gitops-password and --gitops-ssh-key/--gitops-known-hosts are two ways to log in: use one")
		return nil, errors.Join(errs...)
	case f.Password != "" && f.Username == "":
		fail("--gitops-password needs --gitops-username USER: the name the Git server expects with the password or token (with a GitHub token any name works; GitLab expects oauth2)")
	case f.Username != "" && f.Password == "":
		fail("--gitops-username needs --gitops-password @FILE (or secret:NAMESPACE/NAME): the password or token to log in with")
	case f.KnownHosts != "" && f.SSHKey == "":
		fail("--gitops-known-hosts is for --gitops-ssh-key FILE: host keys check an SSH server")
	case f.SSHKey != "" && f.KnownHosts == "":
		fail("--gitops-ssh-key needs --gitops-known-hosts FILE: the host keys the agent checks the Git server against (slipway never turns that check off); get them with `ssh-keyscan %s > known_hosts` and compare their fingerprints (ssh-keygen -lf known_hosts) with the ones your Git host publishes", hostOr(repoURL, "HOST"))
	}
	r := &Request{URL: repoURL}
	if basic {
		if f.Username != "" {
			if err := checkUsername(f.Username); err != nil {
				errs = append(errs, err)
			}
			r.Username = f.Username
		}
		if f.Password != "" {
			if err := r.readPassword(f.Password); err != nil {
				errs = append(errs, err)
			}
		}
		if repoURL != "" && IsSSHURL(repoURL) {
			fail("--gitops-username/--gitops-password log in over HTTPS, but --gitops-repo %s is an SSH URL: use --gitops-ssh-key, or the repository's https:// URL", repoURL)
		}
	}
	if f.SSHKey != "" {
		key, err := readKey(f.SSHKey)
		if err != nil {
			errs = append(errs, err)
		}
		r.SSHKey = key
		if repoURL != "" && !IsSSHURL(repoURL) {
			fail("--gitops-ssh-key logs in over SSH, but --gitops-repo %s is not an SSH URL: use the repository's ssh://git@HOST/PATH or git@HOST:PATH URL", repoURL)
		}
	}
	if f.KnownHosts != "" && f.SSHKey != "" {
		kh, err := readKnownHosts(f.KnownHosts, repoURL)
		if err != nil {
			errs = append(errs, err)
		}
		r.KnownHosts = kh
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

func firstFlag(f Flags) string {
	switch {
	case f.Username != "":
		return "--gitops-username"
	case f.Password != "":
		return "--gitops-password"
	case f.SSHKey != "":
		return "--gitops-ssh-key"
	}
	return "--gitops-known-hosts"
}

func checkUsername(u string) error {
	switch {
	case len(u) > maxUsername:
		return fmt.Errorf("--gitops-username: longer than %d bytes", maxUsername)
	case strings.ContainsRune(u, ':'):
		return fmt.Errorf("--gitops-username %q: a user name cannot hold ':' (HTTP basic authentication splits on it)", u)
	case strings.IndexFunc(u, unicode.IsControl) >= 0 || strings.TrimSpace(u) != u:
		return fmt.Errorf("--gitops-username %q: control characters or surrounding spaces; give the user name alone", u)
	}
	return nil
}

// readPassword takes @FILE now and secret:NAMESPACE/NAME[:KEY] for later.
// The value is never part of a message.
func (r *Request) readPassword(src string) error {
	switch {
	case strings.HasPrefix(src, "@"):
		pw, err := readBounded(src[1:], maxPassword)
		if err != nil {
			return fmt.Errorf("--gitops-password %s: %w", src, err)
		}
		pw = []byte(strings.TrimSuffix(strings.TrimSuffix(string(pw), "\n"), "\r"))
		if err := CheckPassword(pw); err != nil {
			return fmt.Errorf("--gitops-password %s: %w", src, err)
		}
		r.Password = string(pw)
	case strings.HasPrefix(src, "secret:"):
		ref, key, _ := strings.Cut(strings.TrimPrefix(src, "secret:"), ":")
		ns, name, ok := strings.Cut(ref, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("--gitops-password %s: want secret:NAMESPACE/NAME[:KEY]", src)
		}
		if key == "" {
			key = "password"
		}
		r.PasswordSecret = &SecretRef{Namespace: ns, Name: name, Key: key}
	default:
		return errors.New("--gitops-password …: a password on the command line lands in shell history and process lists; put it in a file and pass --gitops-password @FILE, or in a Secret and pass --gitops-password secret:NAMESPACE/NAME")
	}
	return nil
}

// CheckPassword refuses a password or token no Git server takes: empty,
// more than one line, or larger than maxPassword.
func CheckPassword(pw []byte) error {
	switch {
	case len(pw) == 0:
		return errors.New("the password is empty")
	case len(pw) > maxPassword:
		return fmt.Errorf("the password is longer than %d bytes", maxPassword)
	case strings.ContainsAny(string(pw), "\r\n\x00"):
		return errors.New("the password spans more than one line; put only the password or token in it")
	}
	return nil
}

// readKey reads a private key the way ssh would accept it: a regular file
// readable by its owner only, an unencrypted private key.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--gitops-ssh-key %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--gitops-ssh-key %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("--gitops-ssh-key %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("--gitops-ssh-key %s: permissions %04o are too open: a private key must be readable by you only, as ssh requires; run chmod 600 %s", path, perm, path)
	}
	key, err := readAllBounded(f, maxKey)
	if err != nil {
		return nil, fmt.Errorf("--gitops-ssh-key %s: %w", path, err)
	}
	if _, err := ssh.ParseRawPrivateKey(key); err != nil {
		var pe *ssh.PassphraseMissingError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("--gitops-ssh-key %s: the key is protected by a passphrase, which Argo CD cannot use; make a deploy key without one: ssh-keygen -t ed25519 -N '' -f deploy-key", path)
		}
		return nil, fmt.Errorf("--gitops-ssh-key %s: not an SSH private key (%v); give the private half, e.g. ~/.ssh/id_ed25519, not the .pub", path, err)
	}
	return key, nil
}

// readKnownHosts reads an OpenSSH known_hosts file and checks that it has
// a key for the repository's host.
func readKnownHosts(path, repoURL string) ([]byte, error) {
	data, err := readBounded(path, maxKnownHosts)
	if err != nil {
		return nil, fmt.Errorf("--gitops-known-hosts %s: %w", path, err)
	}
	var hosts [][]string
	rest := data
	for line := 1; len(rest) > 0; line++ {
		var h []string
		var perr error
		// ParseKnownHosts skips comments and blank lines itself; count
		// lines to name the bad one.
		end := len(rest)
		if i := strings.IndexByte(string(rest), '\n'); i >= 0 {
			end = i + 1
		}
		cur := strings.TrimSpace(string(rest[:end]))
		rest = rest[end:]
		if cur == "" || strings.HasPrefix(cur, "#") {
			continue
		}
		_, h, _, _, _, perr = ssh.ParseKnownHosts([]byte(cur))
		if perr != nil {
			return nil, fmt.Errorf("--gitops-known-hosts %s:%d: not a known_hosts line (%v); write it with ssh-keyscan", path, line, perr)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("--gitops-known-hosts %s: no host keys in it; get them with `ssh-keyscan %s > %s`", path, hostOr(repoURL, "HOST"), path)
	}
	if host, port := SSHHostPort(repoURL); host != "" && !anyMatches(hosts, knownhosts.Normalize(net.JoinHostPort(host, port))) {
		return nil, fmt.Errorf("--gitops-known-hosts %s: no key for %s, the host of --gitops-repo; add it: ssh-keyscan%s %s >> %s", path, knownhosts.Normalize(net.JoinHostPort(host, port)), portFlag(port), host, path)
	}
	return data, nil
}

func portFlag(port string) string {
	if port == "22" {
		return ""
	}
	return " -p " + port
}

// anyMatches reports whether a known_hosts host list names addr (already
// normalised: host, or [host]:port), plainly or hashed (|1|salt|hash).
func anyMatches(lines [][]string, addr string) bool {
	for _, hosts := range lines {
		for _, h := range hosts {
			if h == addr || hashedMatch(h, addr) {
				return true
			}
		}
	}
	return false
}

// hashedMatch checks a HashKnownHosts entry: |1|base64(salt)|base64(HMAC-SHA1(salt, host)).
func hashedMatch(entry, addr string) bool {
	parts := strings.Split(entry, "|")
	if len(parts) != 4 || parts[0] != "" || parts[1] != "1" {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	sum, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(addr))
	return hmac.Equal(mac.Sum(nil), sum)
}

// IsSSHURL reports whether a Git URL is reached over SSH: ssh://… or the
// scp-like user@host:path.
func IsSSHURL(u string) bool {
	if strings.HasPrefix(u, "ssh://") {
		return true
	}
	if strings.Contains(u, "://") {
		return false
	}
	at, colon := strings.Index(u, "@"), strings.Index(u, ":")
	return at > 0 && colon > at+1
}

// SSHHostPort is the host and port of an SSH Git URL ("", "" for others).
func SSHHostPort(u string) (host, port string) {
	if !IsSSHURL(u) {
		return "", ""
	}
	if strings.HasPrefix(u, "ssh://") {
		p, err := url.Parse(u)
		if err != nil {
			return "", ""
		}
		port = p.Port()
		if port == "" {
			port = "22"
		}
		return p.Hostname(), port
	}
	_, hostPath, _ := strings.Cut(u, "@")
	host, _, _ = strings.Cut(hostPath, ":")
	return host, "22"
}

// hostOr is the host of a Git URL, or def.
func hostOr(u, def string) string {
	if h, _ := SSHHostPort(u); h != "" {
		return h
	}
	if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
		return p.Hostname()
	}
	return def
}

// readBounded reads a file of at most limit bytes, refusing a larger one
// after reading just past the limit.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllBounded(f, limit)
}

func readAllBounded(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d KiB, more than any real one holds; is it the right file?", limit>>10)
	}
	return data, nil
}

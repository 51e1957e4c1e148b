package standin

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// GitServer serves bare repositories under a temporary directory over
// loopback HTTP through git's own smart-HTTP backend.
type GitServer struct {
	root string
	srv  *httptest.Server
	mu   sync.Mutex // one commit at a time

	authMu  sync.Mutex
	private map[string][2]string // repo → user, password
}

// NewGitServer starts a Git server with no repositories.
func NewGitServer() (*GitServer, error) {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("git --exec-path: %w", err)
	}
	root, err := os.MkdirTemp("", "slipway-e2e-git-")
	if err != nil {
		return nil, err
	}
	h := &cgi.Handler{
		Path:       filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Env:        []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
		InheritEnv: []string{"PATH", "HOME"},
	}
	g := &GitServer{root: root, private: map[string][2]string{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allowed(r) {
			// What a Git host answers an anonymous fetch of a private
			// repository: 401 with a Basic challenge.
			w.Header().Set("WWW-Authenticate", `Basic realm="slipway-e2e"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	return g, nil
}

// Private makes repo refuse anonymous access: every request needs HTTP
// basic authentication with user and password.
func (g *GitServer) Private(repo, user, password string) {
	g.authMu.Lock()
	defer g.authMu.Unlock()
	g.private[repo] = [2]string{user, password}
}

// allowed checks the request's basic authentication against its
// repository's, if that repository is private.
func (g *GitServer) allowed(r *http.Request) bool {
	repo, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), ".git/")
	g.authMu.Lock()
	want, private := g.private[repo]
	g.authMu.Unlock()
	if !private {
		return true
	}
	user, pass, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user+"\x00"+pass), []byte(want[0]+"\x00"+want[1])) == 1
}

// Close stops the server and removes the repositories.
func (g *GitServer) Close() {
	g.srv.Close()
	os.RemoveAll(g.root)
}

// URL is the clone URL of repo.
func (g *GitServer) URL(repo string) string { return g.srv.URL + "/" + repo + ".git" }

// Commit writes files (path → content; "" deletes) on branch of repo,
// creating both if needed, and returns the new commit's hash.
func (g *GitServer) Commit(ctx context.Context, repo, branch string, files map[string]string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	bare := filepath.Join(g.root, repo+".git")
	if _, err := os.Stat(bare); err != nil {
		if _, err := git(ctx, "", "init", "--quiet", "--bare", "--initial-branch", branch, bare); err != nil {
			return "", err
		}
	}
	work, err := os.MkdirTemp("", "slipway-e2e-gitwork-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if _, err := git(ctx, "", "clone", "--quiet", bare, work); err != nil {
		return "", err
	}
	if _, err := git(ctx, work, "checkout", "--quiet", "-B", branch); err != nil {
		return "", err
	}
	if _, err := git(ctx, work, "pull", "--quiet", "origin", branch); err != nil && !strings.Contains(err.Error(), "couldn't find remote ref") {
		return "", err
	}
	for p, content := range files {
		full := filepath.Join(work, p)
		if content == "" {
			os.Remove(full)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	if _, err := git(ctx, work, "add", "-A"); err != nil {
		return "", err
	}
	if _, err := git(ctx, work, "-c", "user.name=e2e", "-c", "user.email=e2e@slipway.invalid", "commit", "--quiet", "--allow-empty", "-m", "e2e"); err != nil {
		return "", err
	}
	if _, err := git(ctx, work, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch); err != nil {
		return "", err
	}
	return git(ctx, work, "rev-parse", "HEAD")
}

// git runs the git CLI in dir and returns its trimmed stdout.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	return gitAuth(ctx, nil, dir, args...)
}

// basicAuth is a login a stand-in read from the agent's Secret: HTTP
// basic authentication, or an SSH key with the host keys to check the
// server against.
type basicAuth struct {
	user, password  string
	key, knownHosts []byte
}

// errAuth is the agents' (go-git's) word for a server that wants a login
// it was not given, or refused the one it was given.
var errAuth = errors.New("authentication required")

// gitAuth runs git with an Authorization header when a is set. A 401
// becomes errAuth, as go-git reports it in Argo CD and Flux.
func gitAuth(ctx context.Context, a *basicAuth, dir string, args ...string) (string, error) {
	env := append(os.Environ(), "GIT_TERMINAL_PROMPT=0",
		// No SSH login but the one read from the agent's objects: no
		// agent, no user config, and an unknown host key refused.
		"GIT_SSH_COMMAND=ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/dev/null")
	logged := args
	switch {
	case a != nil && len(a.key) > 0:
		tmp, err := os.MkdirTemp("", "slipway-e2e-ssh-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		key, known := filepath.Join(tmp, "key"), filepath.Join(tmp, "known_hosts")
		if err := os.WriteFile(key, a.key, 0o600); err != nil {
			return "", err
		}
		if err := os.WriteFile(known, a.knownHosts, 0o600); err != nil {
			return "", err
		}
		env = append(env, "GIT_SSH_COMMAND=ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -i "+key+" -o UserKnownHostsFile="+known)
	case a != nil:
		token := base64.StdEncoding.EncodeToString([]byte(a.user + ":" + a.password))
		args = append([]string{"-c", "http.extraHeader=Authorization: Basic " + token}, args...)
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := stderr.String()
		switch {
		case strings.Contains(msg, "could not read Username") || strings.Contains(msg, "Authentication failed") || strings.Contains(msg, "401") || strings.Contains(msg, "Permission denied (publickey)"):
			return "", errAuth
		case strings.Contains(msg, "Host key verification failed"):
			// go-git's word, as Argo CD and Flux print it.
			return "", errors.New("ssh: handshake failed: knownhosts: key is unknown")
		}
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(logged, " "), err, strings.TrimSpace(msg))
	}
	return strings.TrimSpace(string(out)), nil
}

package standin

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHServer serves a GitServer's repositories over SSH, as a Git host
// does for deploy keys: public-key authentication only, git-upload-pack
// only (read-only), under its own host key, which clients must know.
type SSHServer struct {
	root    string
	ln      net.Listener
	hostKey ssh.PublicKey
	mu      sync.Mutex
	keys    map[string]bool // authorized public keys, wire format
	done    sync.WaitGroup
}

// ServeSSH starts an SSH server on loopback for g's repositories.
func (g *GitServer) ServeSSH() (*SSHServer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &SSHServer{root: g.root, ln: ln, hostKey: signer.PublicKey(), keys: map[string]bool{}}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.keys[string(k.Marshal())] {
			return nil, nil
		}
		return nil, fmt.Errorf("unknown public key")
	}}
	cfg.AddHostKey(signer)
	s.done.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.done.Go(func() { s.serve(conn, cfg) })
		}
	})
	return s, nil
}

// Authorize lets the holder of the private half of key clone.
func (s *SSHServer) Authorize(key ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[string(key.Marshal())] = true
}

// URL is the SSH clone URL of repo.
func (s *SSHServer) URL(repo string) string {
	return "ssh://git@" + s.ln.Addr().String() + "/" + repo + ".git"
}

// KnownHosts is the known_hosts line of this server, as ssh-keyscan
// would print it.
func (s *SSHServer) KnownHosts() string {
	return knownhosts.Line([]string{knownhosts.Normalize(s.ln.Addr().String())}, s.hostKey)
}

// Close stops the server.
func (s *SSHServer) Close() {
	s.ln.Close()
	s.done.Wait()
}

func (s *SSHServer) serve(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		s.session(ch, chReqs)
	}
}

// session runs the one command a Git client asks for:
// git-upload-pack '<path>'.
func (s *SSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var env []string
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name == "GIT_PROTOCOL" {
				env = append(env, kv.Name+"="+kv.Value)
			}
			req.Reply(true, nil)
		case "exec":
			var cmd struct{ Command string }
			if ssh.Unmarshal(req.Payload, &cmd) != nil {
				req.Reply(false, nil)
				return
			}
			prog, arg, _ := strings.Cut(cmd.Command, " ")
			repo := filepath.Join(s.root, filepath.Clean("/"+strings.Trim(arg, "'\"")))
			if prog != "git-upload-pack" {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			c := exec.Command("git-upload-pack", repo)
			c.Env = append(os.Environ(), env...)
			c.Stdout, c.Stderr = ch, ch.Stderr()
			stdin, err := c.StdinPipe()
			if err != nil {
				return
			}
			// Copied by hand so that Wait does not wait for the client to
			// close its end.
			go func() { io.Copy(stdin, ch); stdin.Close() }()
			code := 0
			if err := c.Run(); err != nil {
				code = 1
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				}
			}
			status := make([]byte, 4)
			binary.BigEndian.PutUint32(status, uint32(code))
			ch.CloseWrite()
			ch.SendRequest("exit-status", false, status)
			return
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

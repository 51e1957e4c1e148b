package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one component process. It runs in its own process group so that
// stopping it also stops anything it spawned, and, unless the cluster is
// detached, with a parent-death signal so it dies with the test binary even
// when that binary is killed with SIGKILL.
type proc struct {
	name, bin, logPath, pidPath string
	args                        []string
	detached                    bool
	cmd                         *exec.Cmd
	done                        chan struct{}
}

func (p *proc) start() error {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !p.detached {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(p.done) }()
	return os.WriteFile(p.pidPath, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
}

// exited reports whether the process has ended, for error messages that
// point at its log instead of at a later, more confusing symptom.
func (p *proc) exited() bool {
	if p.done == nil {
		return true
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	if p.cmd == nil || p.exited() {
		os.Remove(p.pidPath)
		return
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	os.Remove(p.pidPath)
}

// tail returns the last n lines of the process log.
func (p *proc) tail(n int) string {
	data, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// owner records who a run directory belongs to: a live process (identified
// by pid and kernel start time, so a recycled pid is not mistaken for it) or
// "detached" for clusters started by `simcluster up` that outlive it.
func writeOwner(runDir string, detached bool) error {
	content := "detached\n"
	if !detached {
		pid := os.Getpid()
		content = fmt.Sprintf("%d %s\n", pid, procStartTime(pid))
	}
	return os.WriteFile(filepath.Join(runDir, "owner"), []byte(content), 0o600)
}

// procStartTime is field 22 of /proc/<pid>/stat, "" if the process is gone.
func procStartTime(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) may contain spaces; fields after it follow ")".
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// ownerAlive reports whether the run directory's owner still runs.
// Detached clusters count as alive: only `simcluster down` ends them.
func ownerAlive(runDir string) bool {
	data, err := os.ReadFile(filepath.Join(runDir, "owner"))
	if err != nil {
		// Being created right now, or half-written by a killed process:
		// judge by age so a fresh directory is not reaped under its owner.
		info, err := os.Stat(runDir)
		return err == nil && time.Since(info.ModTime()) < time.Minute
	}
	f := strings.Fields(string(data))
	if len(f) == 1 && f[0] == "detached" {
		return true
	}
	if len(f) != 2 {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	return err == nil && procStartTime(pid) == f[1]
}

// killRunDir kills every process recorded in runDir's pid files whose
// command line mentions runDir (all component flags point into it, so a pid
// recycled by an unrelated process is left alone), then removes the dir.
func killRunDir(runDir string) error {
	pids, _ := filepath.Glob(filepath.Join(runDir, "pids", "*.pid"))
	for _, f := range pids {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 1 {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.Contains(cmdline, []byte(runDir)) {
			continue
		}
		syscall.Kill(-pid, syscall.SIGKILL)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return os.RemoveAll(runDir)
}

// reapStale removes run directories whose owner is gone, killing what they
// left running. It is called by every Start.
func reapStale(runsDir string) []string {
	entries, err := os.ReadDir(runsDir)
	if err != nil {
		return nil
	}
	var reaped []string
	for _, e := range entries {
		dir := filepath.Join(runsDir, e.Name())
		if !e.IsDir() || ownerAlive(dir) {
			continue
		}
		if err := killRunDir(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			reaped = append(reaped, e.Name())
		}
	}
	return reaped
}

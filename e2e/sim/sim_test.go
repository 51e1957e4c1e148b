package sim

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// TestMain lets TestKilledOwnerLeavesNothing re-execute this test binary as
// the process that owns a cluster.
func TestMain(m *testing.M) {
	if os.Getenv("SIM_TEST_OWNER") == "1" {
		c, err := Start(context.Background(), Options{Log: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(c.Dir)
		select {} // wait to be killed
	}
	os.Exit(m.Run())
}

// TestKilledOwnerLeavesNothing kills the process that started a cluster
// with SIGKILL, as `go test` does on a timeout, and checks that every
// component process dies with it and the next start reaps its run directory.
func TestKilledOwnerLeavesNothing(t *testing.T) {
	if _, err := EnsureBinaries(context.Background(), os.Stderr); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SIM_TEST_OWNER=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("owner did not report its cluster: %v", err)
	}
	dir := strings.TrimSpace(line)
	pidFiles, _ := filepath.Glob(filepath.Join(dir, "pids", "*.pid"))
	if len(pidFiles) != 5 {
		cmd.Process.Kill()
		t.Fatalf("want 5 component pid files in %s, got %d", dir, len(pidFiles))
	}
	var pids []int
	for _, f := range pidFiles {
		data, _ := os.ReadFile(f)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		pids = append(pids, pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		for _, pid := range pids {
			if alive(pid) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("component processes outlived their killed owner: %v", pids)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("run dir should remain until reaped: %v", err)
	}
	reapStale(filepath.Dir(dir))
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("reapStale left %s behind", dir)
	}
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(string(data[i+1:])), "Z")
}

func TestOwnerAliveJudgesPidAndStartTime(t *testing.T) {
	dir := t.TempDir()
	if err := writeOwner(dir, false); err != nil {
		t.Fatal(err)
	}
	if !ownerAlive(dir) {
		t.Fatal("this process should count as alive")
	}
	// A recycled pid has another start time.
	os.WriteFile(filepath.Join(dir, "owner"), []byte(fmt.Sprintf("%d 1\n", os.Getpid())), 0o600)
	if ownerAlive(dir) {
		t.Fatal("a start-time mismatch must count as dead")
	}
	if err := writeOwner(dir, true); err != nil {
		t.Fatal(err)
	}
	if !ownerAlive(dir) {
		t.Fatal("detached clusters are alive until Down")
	}
}

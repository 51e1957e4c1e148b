package runlock

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// thisProcess names this process so that another slipway on this
// machine can tell whether it still runs: the kernel's boot ID and the
// PID namespace (a container has its own PIDs, the boot ID of its host)
// with the PID. Two machines do not share a boot ID.
func thisProcess() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s/%s/%d", strings.TrimSpace(string(boot)), ns, os.Getpid())
}

// sameMachine reports whether two process names share boot and PID
// namespace, so that the PID of one means the same process to the other.
func sameMachine(a, b string) bool {
	ia, ib := strings.LastIndex(a, "/"), strings.LastIndex(b, "/")
	return ia > 0 && ib > 0 && a[:ia] == b[:ib]
}

// processAlive reports whether the process a name of this machine names
// still runs. Only a definite "no such process" says it does not.
func processAlive(process string) bool {
	var pid int
	if _, err := fmt.Sscanf(process[strings.LastIndex(process, "/")+1:], "%d", &pid); err != nil || pid <= 0 {
		return true
	}
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

package preflight

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// HostPort is a host port a kind node container will bind.
type HostPort struct {
	Port    int
	Address string // listen address; "" is every address
}

// PortProbe says whether a TCP host port is taken, and how it knows.
type PortProbe interface {
	InUse(address string, port int) (bool, string)
}

// NetProbe probes with the real network stack.
type NetProbe struct{}

// InUse tries to listen on the port, as the container engine will. A
// port below 1024 cannot be bound by an unprivileged user (the engine
// binds it as root), so "permission denied" says nothing; then a connect
// to it on loopback tells whether something listens there.
func (NetProbe) InUse(address string, port int) (bool, string) {
	addr := net.JoinHostPort(address, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err == nil {
		l.Close()
		return false, ""
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return true, err.Error()
	}
	host := address
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	c, derr := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 500*time.Millisecond)
	if derr == nil {
		c.Close()
		return true, "something accepts connections on " + net.JoinHostPort(host, strconv.Itoa(port))
	}
	return false, ""
}

// HostPortsFree checks that every host port the kind configuration (named
// config, e.g. "kind-config.yaml") maps is free, and names each one taken.
func HostPortsFree(probe PortProbe, ports []HostPort, config string) error {
	var errs []error
	for _, p := range ports {
		inUse, why := probe.InUse(p.Address, p.Port)
		if !inUse {
			continue
		}
		where := "on this machine"
		if p.Address != "" {
			where = "on " + p.Address
		}
		errs = append(errs, fmt.Errorf("host port %d is already in use %s (%s), and %s maps it to the cluster's ingress: stop the program that holds it (`sudo ss -ltnp 'sport = :%d'` or `sudo lsof -i :%d` names it), or copy %s, change `hostPort: %d` to a free port such as %d, and pass the copy with --config (URLs then need :%d)",
			p.Port, where, why, config, p.Port, p.Port, config, p.Port, 8000+p.Port, 8000+p.Port))
	}
	return errors.Join(errs...)
}

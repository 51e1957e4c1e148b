// Package debuglog is slipway's --debug output (SLIPWAY_DEBUG=1): the
// Helm SDK's log, kind's log, and one line per HTTP request slipway makes
// (to chart repositories, OCI registries and the Kubernetes API), with
// method, URL, status and duration, never headers or bodies, and with any
// password in a URL masked. Everything goes to one writer (stderr).
//
// The sink is process-wide, like klog's or Helm's --debug: the HTTP
// clients, the Helm action configurations and kind's provider are built
// deep inside the stage packages, and threading a logger through each of
// them would change every signature for a diagnostic aid. The wrappers are
// installed unconditionally and cost one atomic load per request when
// debug is off; Enable and its undo bracket one command run (app.Run).
package debuglog

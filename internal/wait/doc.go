// Package wait decides when the resources of installed releases are ready,
// reports progress while they are not, and, when they never get there,
// says why: the pod the scheduler cannot place and its message, the
// container stuck in ImagePullBackOff or CrashLoopBackOff, the claim that
// does not bind, the last warning events, and the kubectl command to look
// further.
//
// Readiness is kstatus's (the library Helm v4's own watcher uses), so
// slipway and Helm agree on what "ready" means. A wait reads from watches
// (one per kind and namespace, shared, see watch.go) and decides again
// at every change; a pod that is failing outright (kstatus Failed, or a
// crash/pull back-off that persists past a grace period) ends the wait
// early instead of burning the whole timeout.
package wait

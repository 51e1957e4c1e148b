package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Second) }
}

func TestPlainLinesOnlyOnChange(t *testing.T) {
	var buf bytes.Buffer
	p := &Printer{W: &buf, Now: fixedClock()}
	p.Update("jenkins", StateInstalling, "jenkins@5.9.53", nil)
	p.Update("jenkins", StateWaiting, "", []string{"StatefulSet jenkins/jenkins"})
	p.Update("jenkins", StateWaiting, "", []string{"Pod jenkins/jenkins-0"}) // same state: no line
	p.Update("jenkins", StateReady, "", nil)
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", n, out)
	}
	for _, want := range []string{"jenkins: installing (jenkins@5.9.53)", "jenkins: waiting for readiness", "jenkins: ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape codes in plain output")
	}
}

func TestTTYRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	p := &Printer{W: &buf, TTY: true, Now: fixedClock()}
	p.Update("argocd", StateWaiting, "", []string{"Deployment argocd/server", "Deployment argocd/repo"})
	p.Update("argocd", StateReady, "", nil)
	out := buf.String()
	if !strings.Contains(out, "\x1b[3A\x1b[J") {
		t.Errorf("second draw should move up over the 3 lines of the first:\n%q", out)
	}
	if !strings.Contains(out, "    Deployment argocd/repo\n") {
		t.Errorf("pending resources not listed:\n%q", out)
	}
}

func TestQuietKeepsWarnings(t *testing.T) {
	var buf bytes.Buffer
	p := &Printer{W: &buf, Quiet: true}
	p.Infof("hidden")
	p.Update("x", StateReady, "", nil)
	p.Warnf("ingress-nginx is retired")
	if got := buf.String(); got != "warning: ingress-nginx is retired\n" {
		t.Fatalf("got %q", got)
	}
}

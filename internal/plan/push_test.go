package plan

import (
	"reflect"
	"testing"

	"github.com/slipway-dev/slipway/internal/profile"
	"github.com/slipway-dev/slipway/profiles"
)

func TestCheckRegistry(t *testing.T) {
	for _, ok := range []string{"ghcr.io/me", "registry.local:5000", "10.0.0.5:5000/team/app", "[::1]:5000/x", "localhost", "quay.io/org/sub_team/a-b"} {
		if err := CheckRegistry(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"https://ghcr.io/me", "ghcr.io/my team", "ghcr.io/Me", "ghcr.io/", "-x.io", "ghcr.io//me", "ghcr.io/me\nx", ""} {
		if err := CheckRegistry(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRegistryServer(t *testing.T) {
	for ref, want := range map[string]string{"ghcr.io/me": "ghcr.io", "registry.local:5000": "registry.local:5000", "docker.io/me": "https://index.docker.io/v1/"} {
		if got := RegistryServer(ref); got != want {
			t.Errorf("RegistryServer(%s) = %s, want %s", ref, got, want)
		}
	}
}

// The pipeline's images come from the final values: a --set that
// changes the builder image changes what bundle images lists.
func TestPipelineImages(t *testing.T) {
	p, err := profile.NewCatalog(profiles.FS).Resolve("default@1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	var jenkins profile.Component
	for _, c := range p.Components {
		if c.Name == "jenkins" {
			jenkins = c
		}
	}
	got := PipelineImages(jenkins, jenkins.Values)
	want := []string{"maven:3.9-eclipse-temurin-21", "ghcr.io/osscontainertools/kaniko:v1.28.5-debug", "eclipse-temurin:21-jre"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PipelineImages = %v, want %v", got, want)
	}
}

# slipway — `make help` lists the targets. `make test` is the one command
# that proves the project works (CI runs it through .ci/run).

GO        ?= go
BIN       ?= bin/slipway
# The first e2e run builds the hermetic control plane from Go modules
# (about 20 minutes on 2 cores); the timeout leaves room for that.
E2E_TIMEOUT ?= 75m
# e2e/ is a Go module of its own (github.com/slipway-dev/slipway/e2e), so
# that what only the tests use (an OCI registry, its logger) is not a
# requirement of the binary's module. Its commands run inside it with
# `go -C e2e`; ./... here is every package of the binary's module and
# nothing of e2e's.
E2E_GO     = $(GO) -C e2e
UNIT_PKGS  = ./...
KIND_NAME ?= slipway

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/slipway
	$(GO) build -o $(BIN) ./cmd/slipway

.PHONY: up
up: build ## the platform on a kind cluster: creates it from kind-config.yaml if missing (needs Docker or Podman), then slipway up
	$(BIN) up --create-cluster --cluster-name $(KIND_NAME) $(UP_FLAGS)

.PHONY: test
test: lint unit fuzz-short e2e ## unit tests, a short fuzz run, then the end-to-end suite on the hermetic cluster

.PHONY: unit
unit: ## unit tests (no cluster)
	$(GO) test -count=1 $(UNIT_PKGS)

.PHONY: bundle
bundle: build ## bin/platform.tgz: the default profile's charts, lock and image list, for offline installs (slipway up --bundle)
	$(BIN) bundle create -o bin/platform.tgz $(BUNDLE_FLAGS)

# Go's fuzzer takes one package and one target per run. Budgets are counts
# of inputs, not durations: with a duration, go1.26's fuzz coordinator can
# fail a clean run with "context deadline exceeded" when the deadline races
# a busy worker (golang/go#75804, fixed in go1.27; seen here in a clean-clone
# CI run on the shared 2-core machine).
# Minimising a new interesting input has a budget of its own (up to 60 s
# a find by default); it is counted in inputs too, so that a target with
# large inputs (a bundle) does not spend most of a short run minimising.
FUZZ_TARGETS = ./internal/profile:FuzzProfileDecode ./internal/values:FuzzSetParse \
  ./internal/charts:FuzzIndexEntry ./internal/lock:FuzzLockDecode ./internal/bundle:FuzzBundleRead \
  ./internal/kube:FuzzManifestHead
FUZZTIME ?= 500000x

.PHONY: fuzz
fuzz: ## fuzz the parsers of outside data: profile, --set/-f, index entries, lock, bundle, manifest heads (500000 inputs each; FUZZTIME=5000000x for longer)
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1000x "$${t%%:*}" || exit 1; \
	done

.PHONY: fuzz-short
fuzz-short: ## the fuzzers for 20000 inputs each (part of make test); a crasher lands in testdata/fuzz
	@$(MAKE) --no-print-directory fuzz FUZZTIME=20000x

.PHONY: test-faults
test-faults: sim-build ## the long fault tests on the hermetic cluster (apiserver outage, SIGKILL at random points)
	$(E2E_GO) test -tags faults -count=1 -timeout $(E2E_TIMEOUT) -run '^TestFault' -v .

# The baseline of `make bench` is the Helm CLI at the version slipway's SDK
# is, built from the Go module proxy into bin/.
HELM_VERSION = $(shell $(GO) list -m -f '{{.Version}}' helm.sh/helm/v4)

.PHONY: bench
bench: build sim-build ## benchmarks against the Helm CLI on the hermetic cluster (realistic pod timing); BENCH_FLAGS=-write updates BENCHMARKS.md
	GOBIN=$(CURDIR)/bin $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)
	$(E2E_GO) build -o $(CURDIR)/bin/bench ./bench
	bin/bench -slipway $(BIN) -helm bin/helm -helm-version $(HELM_VERSION) $(BENCH_FLAGS)

.PHONY: sim-build
sim-build: ## build and cache the hermetic cluster's binaries (etcd, control plane, kwok)
	$(E2E_GO) run ./simcluster build

.PHONY: e2e
e2e: sim-build ## end-to-end tests on the hermetic cluster (real API server, simulated nodes)
	$(E2E_GO) test -count=1 -timeout $(E2E_TIMEOUT) ./...

.PHONY: e2e-real
e2e-real: sim-build ## every shipped profile from the real upstream charts on the hermetic cluster (set E2E_CHARTS_DIR or E2E_CHART_MIRROR)
	@test -n "$(E2E_CHARTS_DIR)$(E2E_CHART_MIRROR)" || { echo "e2e-real needs the real charts: E2E_CHARTS_DIR=<dir of chart dirs or .tgz> or E2E_CHART_MIRROR=<repo URL or oci:// base>"; exit 2; }
	$(E2E_GO) test -count=1 -tags realcharts -timeout $(E2E_TIMEOUT) -run 'TestRealProfiles|TestRealArgoCDKnownHosts' -v .

.PHONY: e2e-kind
e2e-kind: ## end-to-end on real kind clusters that slipway creates (needs Docker or Podman and internet; see e2e/kind)
	KIND_CLUSTER_NAME=$(KIND_NAME)-e2e $(E2E_GO) test -tags kind -count=1 -v -timeout $(E2E_TIMEOUT) ./kind/

.PHONY: sim-up
sim-up: ## start a detached hermetic cluster and print its kubeconfig path
	$(E2E_GO) run ./simcluster up

.PHONY: sim-down
sim-down: ## stop the detached hermetic cluster
	$(E2E_GO) run ./simcluster down

.PHONY: cluster
cluster: build ## create the kind cluster from kind-config.yaml (needs Docker or Podman; no kind binary)
	$(BIN) cluster create --name $(KIND_NAME)

.PHONY: cluster-delete
cluster-delete: build ## delete the kind cluster
	$(BIN) cluster delete --name $(KIND_NAME)

# Release builds are goreleaser's (.goreleaser.yaml); it is a tool, not a
# dependency of go.mod. The snapshot skips the steps whose tools are
# missing here and says so: the image without a running Docker with buildx,
# the SBOMs without syft.
GORELEASER ?= goreleaser
GORELEASER_VERSION = v2.15.1
# Extra flags for goreleaser, e.g. GORELEASER_FLAGS='--parallelism 1' on a
# shared machine (it builds the six targets at once by default).
GORELEASER_FLAGS ?=
# goreleaser reads the commit, its date and the version from git, but in a
# repository without a remote (a local `git init`, this machine) it drops all of
# them ("none", year 1); the snapshot then names this origin for itself.
RELEASE_REPO_URL = https://github.com/slipway-dev/slipway.git

.PHONY: release-snapshot
release-snapshot: ## release archives, checksums, completions and man page into dist/, as a v* tag would, without publishing (needs goreleaser)
	@command -v $(GORELEASER) >/dev/null 2>&1 || { \
	  echo "release-snapshot needs goreleaser $(GORELEASER_VERSION): go install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)"; \
	  echo "(or see https://goreleaser.com/install/), then make release-snapshot (GORELEASER=/path/to/goreleaser for another binary)"; exit 2; }
	@skip=""; \
	  if ! { docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; }; then skip="$$skip,docker"; echo "release-snapshot: no running Docker with buildx: skipping the container image"; fi; \
	  if ! command -v syft >/dev/null 2>&1; then skip="$$skip,sbom"; echo "release-snapshot: no syft on PATH: skipping the SBOMs"; fi; \
	  if [ -z "$$(git remote 2>/dev/null)" ]; then \
	    echo "release-snapshot: no git remote: goreleaser would then drop the commit and its date, so this run alone names origin $(RELEASE_REPO_URL) (GIT_CONFIG_*; the repository is unchanged)"; \
	    export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=$(RELEASE_REPO_URL); fi; \
	  set -x; $(GORELEASER) release --snapshot --clean $${skip:+--skip=$${skip#,}} $(GORELEASER_FLAGS)

.PHONY: lint
lint: ## go vet, gofmt, and go.mod/go.sum tidy, in both modules (the binary's and e2e's)
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy (go mod tidy -diff shows how):"; $(GO) mod tidy -diff; echo "run: go mod tidy"; exit 1; }
	@$(E2E_GO) mod tidy -diff >/dev/null || { echo "e2e/go.mod/go.sum are not tidy (go -C e2e mod tidy -diff shows how):"; $(E2E_GO) mod tidy -diff; echo "run: go -C e2e mod tidy"; exit 1; }
	$(GO) vet ./...
	$(E2E_GO) vet ./...
	$(E2E_GO) vet -tags kind ./kind/
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

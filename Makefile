# slipway — `make help` lists the targets. `make test` is the one command
# that proves the project works (CI runs it through .ci/run).

GO        ?= go
BIN       ?= bin/slipway
# The first e2e run builds the hermetic control plane from Go modules
# (about 20 minutes on 2 cores); the timeout leaves room for that.
E2E_TIMEOUT ?= 75m
UNIT_PKGS  = $(shell $(GO) list ./... | grep -v '/e2e')
KIND_NAME ?= slipway

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/slipway
	$(GO) build -o $(BIN) ./cmd/slipway

.PHONY: up
up: build ## the platform on a kind cluster: creates it from kind-config.yaml if needed, then slipway up
	@command -v kind >/dev/null || { echo "make up needs kind (and Docker): https://kind.sigs.k8s.io; or run bin/slipway up against any cluster in your kubeconfig"; exit 2; }
	kind get clusters 2>/dev/null | grep -qx $(KIND_NAME) || kind create cluster --name $(KIND_NAME) --config kind-config.yaml
	$(BIN) up --context kind-$(KIND_NAME) $(UP_FLAGS)

.PHONY: test
test: lint unit e2e ## unit tests, then the end-to-end suite on the hermetic cluster

.PHONY: unit
unit: ## unit tests (no cluster)
	$(GO) test -count=1 $(UNIT_PKGS)

# The baseline of `make bench` is the Helm CLI at the version slipway's SDK
# is, built from the Go module proxy into bin/.
HELM_VERSION = $(shell $(GO) list -m -f '{{.Version}}' helm.sh/helm/v4)

.PHONY: bench
bench: build sim-build ## benchmarks against the Helm CLI on the hermetic cluster (realistic pod timing); BENCH_FLAGS=-write updates BENCHMARKS.md
	GOBIN=$(CURDIR)/bin $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)
	$(GO) run ./e2e/bench -slipway $(BIN) -helm bin/helm -helm-version $(HELM_VERSION) $(BENCH_FLAGS)

.PHONY: sim-build
sim-build: ## build and cache the hermetic cluster's binaries (etcd, control plane, kwok)
	$(GO) run ./e2e/simcluster build

.PHONY: e2e
e2e: sim-build ## end-to-end tests on the hermetic cluster (real API server, simulated nodes)
	$(GO) test -count=1 -timeout $(E2E_TIMEOUT) ./e2e/...

.PHONY: e2e-kind
e2e-kind: ## end-to-end tests on a real kind cluster made from kind-config.yaml (needs Docker and kind)
	kind get clusters | grep -qx $(KIND_NAME)-e2e || kind create cluster --name $(KIND_NAME)-e2e --config kind-config.yaml
	kind get kubeconfig --name $(KIND_NAME)-e2e > bin/kind-e2e.kubeconfig
	E2E_KUBECONFIG=$(CURDIR)/bin/kind-e2e.kubeconfig $(GO) test -count=1 -timeout $(E2E_TIMEOUT) ./e2e/

.PHONY: sim-up
sim-up: ## start a detached hermetic cluster and print its kubeconfig path
	$(GO) run ./e2e/simcluster up

.PHONY: sim-down
sim-down: ## stop the detached hermetic cluster
	$(GO) run ./e2e/simcluster down

.PHONY: cluster
cluster: ## create a kind cluster from kind-config.yaml (needs Docker and kind)
	kind create cluster --name $(KIND_NAME) --config kind-config.yaml

.PHONY: lint
lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

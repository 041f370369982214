# Galley: `make run` sets up and starts the demo; `make test` sets up and runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint system clean

# setuptools notes on every editable install that a folder named like a package shadows it:
# that is how this checkout is meant to run, so the note is left out of the output.
$(BIN)/galley: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Debian packages the tests need: Chromium for the browser tests, wrk for the benchmarks,
# PostgreSQL for the hub's tests (they start a throwaway server when none answers).
system:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

# `make run ARGS="--port 8080 --printer-port 9200"` passes options to `galley demo`.
run: $(BIN)/galley
	$(BIN)/galley demo $(ARGS)

test: $(BIN)/galley system
	$(BIN)/pytest
	$(BIN)/pytest -q --writes-twice tests/edge tests/printers

bench: $(BIN)/galley system
	GALLEY_BENCH=full $(BIN)/pytest tests/perf -s -q
	GALLEY_FUZZ_EXAMPLES=100 $(BIN)/pytest tests/edge/test_fuzz.py -q

lint: $(BIN)/galley
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var build *.egg-info

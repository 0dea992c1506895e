# Transfer Learning with TensorFlow: the front door. `make help` lists every target.
# Settings you may pass: PYTHON=python3.11, TLCOURSE_PROFILE=quick|full, TLCOURSE_MIRROR=/path/to/mirror,
# TLCOURSE_OFFLINE=1, TF_CPP_MIN_LOG_LEVEL=0 (to see TensorFlow's C++ log lines again).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What a target installs into .venv: pyproject.toml's extras, each with the tested pins (`pinned`). The students'
# targets (install, lab, preflight, mirror) install `.[pinned,lab]`, make book `.[pinned,book]`, make check `lint` and
# `test`, the other maintainers' targets `dev` (all but gpu). A stamp file per extra records its install: each extra
# is installed once, and again when pyproject.toml changes. GPU: .venv/bin/pip install -e ".[pinned,lab,gpu]".
SUM     := $(shell cksum < pyproject.toml | cut -d' ' -f1)
stamp    = $(VENV)/.installed-$(1)-$(SUM)
STUDENT := $(call stamp,lab)
BOOK    := $(call stamp,book)
CHECK   := $(call stamp,lint) $(call stamp,test)
DEV     := $(call stamp,dev)
# Tests run in the quick profile. Offline (announced stand-ins, no download) when TLCOURSE_OFFLINE=1, as CI sets it;
# otherwise what is in neither the cache nor the mirror is downloaded, after the pre-flight has said how much.
TEST_ENV := TLCOURSE_PROFILE=quick TLCOURSE_OFFLINE=$(TLCOURSE_OFFLINE) TLCOURSE_STRICT_CHECKS=1
PYTEST_NB := --nbval-lax --nbval-current-env --nbval-cell-timeout=1800 -p tools.lesson_timings
LESSONS := $(wildcard notebooks/[0-9]*.ipynb)
SOLVED := $(shell grep -l 'tlcourse.exercises.check' $(LESSONS))

# The front door prints progress and results, not TensorFlow's C++ log lines or debugger notices.
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYDEVD_DISABLE_FILE_VALIDATION ?= 1
SHELL := /bin/bash
# Lines TensorFlow's kernels print on start-up whatever TF_CPP_MIN_LOG_LEVEL says (absl logs before its
# InitializeLog; no GPU driver on a CPU machine) and ipykernel's local-TCP notice: dropped from the book build's
# output. Errors, tracebacks and the build's progress stay. NOISE=cat shows everything.
NOISE ?= grep --line-buffered -vE '^WARNING: All log messages before absl::InitializeLog|^[IW][0-9]{4} |cuda_platform\.cc:[0-9]+\] failed call to cuInit|^\[IPKernelApp\] WARNING \| Kernel is running over TCP'

.PHONY: help install check book book-strict preflight test test-full bench test-browser test-rerun test-solutions \
	test-standalone test-without-weights unit notebooks lab \
	refresh-refs new-lesson \
	mirror clean

help:  ## list the targets (this text)
	@echo "Transfer Learning with TensorFlow. Usage: make <target> [SETTING=value ...]"
	@awk -F':.*## ' '/^[a-z][a-zA-Z_-]*:.*## / { printf "  %-13s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo "Settings: PYTHON=python3.11  TLCOURSE_PROFILE=quick|full  TLCOURSE_MIRROR=DIR  TLCOURSE_OFFLINE=1"

# .venv/.installed-EXTRA-SUM: pip install -e ".[pinned,EXTRA]". `dev` contains every other extra but gpu, so its
# install stamps them all. Stamps of an older pyproject.toml are removed.
$(VENV)/.installed-%-$(SUM): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing .[pinned,$*] into $(VENV) (a minute from a warm pip cache) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[pinned,$*]"
	@find $(VENV) -maxdepth 1 -name '.installed-*' ! -name '.installed-*-$(SUM)' -delete
	@touch $@ $(if $(filter dev,$*),$(foreach extra,lab book lint test,$(call stamp,$(extra))))

install: $(STUDENT)  ## create .venv if missing and install what students need: .[pinned,lab] (dev: maintainers)

check: $(CHECK)  ## lint (ruff), views of the lesson manifest current, notebook policy, data/README.md: seconds
	$(BIN)/ruff check --quiet .
	$(BIN)/python tools/course.py check
	$(BIN)/python -m pytest -q tests/test_course_policy.py

preflight: $(STUDENT)  ## check that every file the lessons need is at hand (cache, mirror or download)
	@$(BIN)/python -m tlcourse preflight

book: $(BOOK)  ## pre-flight, then execute the lessons and build the HTML book in _build/html
	@$(BIN)/python -m tlcourse preflight
	set -o pipefail; $(BIN)/jupyter-book build . -W --keep-going 2>&1 | { $(NOISE) || true; }
	@echo "The book is ready: open file://$(CURDIR)/_build/html/index.html"

book-strict: $(BOOK)  ## the book build the tests use: quick profile, warnings are errors
	@$(TEST_ENV) $(BIN)/python -m tlcourse preflight
	set -o pipefail; $(TEST_ENV) $(BIN)/jupyter-book build . -W --keep-going 2>&1 | { $(NOISE) || true; }

# Each lesson executes once: nbval runs it in a new kernel and compares the reference outputs, and tools/book_cache.py
# stores what the kernel printed in the book's execution cache, from which the strict book build renders it (a lesson
# that failed under nbval is not stored, so the book build executes it again and fails too). The same-kernel rerun
# is `make test-rerun`.
test: $(DEV) check  ## check, pre-flight, unit tests, every lesson through nbval, strict book build (quick; < 25 min)
	@$(TEST_ENV) $(BIN)/python -m tlcourse preflight
	$(TEST_ENV) TLCOURSE_BOOK_CACHE=$(CURDIR)/_build/.jupyter_cache $(BIN)/python -m pytest tests $(LESSONS) \
	  $(PYTEST_NB) -p tools.book_cache --ignore=tests/test_book_browser.py -v --durations=30
	$(MAKE) --no-print-directory book-strict
	$(TEST_ENV) $(BIN)/python -m pytest -q tests/test_idempotence.py -k reload
	$(MAKE) --no-print-directory test-browser

# The full profile: the lessons' real experiments (all the data, all the epochs). Hours on a 2-core CPU, minutes on
# a GPU. Results go to _build/results-full (the book's quick results stay); the time report to book/bench/, from
# which `tools/course.py times` copies each lesson's time into the lesson manifest and `sync` into its header.
# Offline by default (unlike make test): stand-ins replace missing files, and the report says which lessons used them.
# LESSONS=notebooks/NN_name.ipynb re-times one lesson: its row of the report is replaced, the others are kept.
test-full: $(DEV)  ## every lesson through nbval in the FULL profile (a GPU, or a long CPU run), with a time report
	TLCOURSE_PROFILE=full TLCOURSE_OFFLINE=$(or $(TLCOURSE_OFFLINE),1) TLCOURSE_RESULTS_DIR=$(CURDIR)/_build/results-full \
	  TLCOURSE_TIMINGS=book/bench/full_profile $(BIN)/python -m pytest $(LESSONS) $(PYTEST_NB) -v; \
	status=$$?; $(BIN)/python tools/course.py times && $(BIN)/python tools/course.py sync; exit $$status

# What the course costs on this machine; writes book/bench/bench.{json,md,png}, which the results page includes;
# then the lessons' quick-profile times go into the lesson manifest (tools/course.py times) and their headers (sync).
# PARTS=lessons,throughput,caching,knobs (default: all); LESSONS_ONLY=01_save_load_resume,... (default: every lesson).
bench: $(DEV)  ## measure this machine (about 16 min on 2 cores): lesson times and memory, pipelines, caching, knobs
	set -o pipefail; $(TEST_ENV) TLCOURSE_RESULTS_DIR=$(CURDIR)/_build/results-bench $(BIN)/python tools/bench.py \
	  $(if $(PARTS),--parts $(PARTS)) $(if $(LESSONS_ONLY),--lessons $(LESSONS_ONLY)) 2>&1 | { $(NOISE) || true; }
	$(BIN)/python tools/course.py times
	$(BIN)/python tools/course.py sync

test-browser: $(DEV)  ## open the built book in headless Chromium: pages, images, navigation, search, axe-core
	TLCOURSE_BROWSER=1 $(BIN)/python -m pytest tests/test_book_browser.py -v

test-rerun: $(DEV)  ## opt-in: every lesson twice in ONE kernel (as students re-run), about 2x lesson time
	$(TEST_ENV) TLCOURSE_IDEMPOTENCE=1 $(BIN)/python -m pytest tests/test_idempotence.py -v

# The challenges' solution cells run inside their lessons (they need the lesson's state); with
# TLCOURSE_STRICT_CHECKS=1 a solution that fails its own check fails the lesson. make test runs them too.
test-solutions: $(DEV)  ## the checks' tests, then every lesson with checked challenges through nbval (solutions run)
	$(TEST_ENV) $(BIN)/python -m pytest -q tests/test_exercises.py
	$(TEST_ENV) $(BIN)/python -m pytest $(SOLVED) $(PYTEST_NB) -v

# Colab's way in: each lesson copied alone into an empty folder, a fresh virtual environment holding only the pinned
# TensorFlow, Keras and ipykernel, the lesson's first cell installing the course's package (from a copy of this
# checkout), then the whole lesson under nbval. About 5 minutes for the default two; CI runs it after make test.
STANDALONE ?= notebooks/01_save_load_resume.ipynb notebooks/05_mobilenetv2_cats_dogs.ipynb
test-standalone: $(DEV)  ## lessons run as on Colab: alone in an empty folder, fresh environment (STANDALONE=...)
	$(TEST_ENV) $(BIN)/python tools/standalone.py $(STANDALONE)

# The nbval references must not depend on whether a file was real or a stand-in: lessons 3-6 again, from a copy of
# the mirror without its converted ImageNet weights (converted/), so ResNet50, DenseNet121, MobileNetV2 and
# EfficientNetB0 fall back to random weights (announced), with fresh caches. About 9 minutes; CI runs it after make test.
WITHOUT_WEIGHTS ?= $(filter $(addprefix notebooks/,03_% 04_% 05_% 06_%),$(LESSONS))
test-without-weights: $(DEV)  ## lessons 3-6 with the mirror's converted ImageNet weights removed: same references
	@test -n "$(TLCOURSE_MIRROR)" || { echo "Set TLCOURSE_MIRROR to the mirror folder (the test removes its converted/)."; exit 1; }
	tmp=$$(mktemp -d) && mkdir "$$tmp/mirror" && \
	for f in "$(TLCOURSE_MIRROR)"/*; do [ "$${f##*/}" = converted ] || ln -s "$$(realpath "$$f")" "$$tmp/mirror/"; done && \
	$(TEST_ENV) TLCOURSE_OFFLINE=1 TLCOURSE_MIRROR="$$tmp/mirror" TLCOURSE_DATA="$$tmp/data" KERAS_HOME="$$tmp/keras" \
	  TLCOURSE_RESULTS_DIR="$$tmp/results" $(BIN)/python -m pytest $(WITHOUT_WEIGHTS) $(PYTEST_NB) -v; \
	status=$$?; rm -rf "$$tmp"; exit $$status

unit: $(DEV)  ## unit tests only (no lesson executed)
	$(TEST_ENV) $(BIN)/python -m pytest tests -q

notebooks: $(DEV)  ## every lesson through nbval only
	$(TEST_ENV) $(BIN)/python -m pytest $(LESSONS) $(PYTEST_NB) -v

lab: $(STUDENT)  ## open the lessons in JupyterLab
	$(BIN)/jupyter lab notebooks/

refresh-refs: $(DEV)  ## re-execute every lesson (quick) and keep only the outputs of cells tagged nbval-check-output
	$(TEST_ENV) $(BIN)/python tools/nbrefs.py refresh $(LESSONS)

new-lesson: $(DEV)  ## NAME=08_topic [TITLE="..."]: a new lesson from the template, with its entry in lessons.yml
	@$(BIN)/python tools/new_lesson.py "$(NAME)" "$(TITLE)"

mirror: $(STUDENT)  ## download every file the course uses into data/mirror (for an offline classroom)
	$(BIN)/python -m tlcourse mirror data/mirror

clean:  ## remove the built book and the models lessons saved
	rm -rf _build notebooks/artifacts

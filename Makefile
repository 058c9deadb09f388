# annotask: `make test` installs everything into .venv and runs the checks and the whole suite;
# `make demo` installs only what the demo needs (annotask and its `demo` extra) and runs it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: install check browser test demo bench lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("annotask needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo's own install: annotask with its `demo` extra, no test or lint tools. A full
# install (make install / make test) already covers it.
$(DEMO_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("annotask needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -f $(STAMP) -a $(STAMP) -nt pyproject.toml || $(PY) -m pip install --quiet --constraint constraints.txt --editable '.[demo]'
	touch $(DEMO_STAMP)

check: install
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy

# The browser tests drive Debian's chromium (Playwright's own browser download is not used).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) \
		|| echo 'chromium could not be installed (needs root): the browser tests will skip'

test: check browser
	$(VENV)/bin/pytest -n auto -p no:cacheprovider

# A real pre-labeling run, offline, in ./annotask-demo (DEMO_DIR=...; DEMO_ARGS=--fresh starts over).
DEMO_DIR ?= annotask-demo
demo: $(DEMO_STAMP)
	$(VENV)/bin/annotask demo $(DEMO_DIR) $(DEMO_ARGS)

bench: install
	$(PY) bench/store.py --quick

# Refresh the pinned versions CI installs (after changing dependencies in pyproject.toml).
lock: install
	$(PY) -m pip freeze --exclude-editable --exclude annotask > constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

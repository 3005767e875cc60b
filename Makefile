# The two commands a newcomer needs: `make run` and `make test`.
# Both build .venv from pyproject.toml with a Python >= 3.12 found on this machine.

SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# First interpreter >= 3.12: $PYTHON if given, then python3.14/3.13/3.12/python3 on PATH,
# then any pyenv install (pyenv's shims refuse unselected versions, so look at the real files).
find_python = $(shell for c in "$$PYTHON" python3.14 python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  [ -n "$$c" ] || continue; \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    command -v "$$c"; break; fi; done)

.PHONY: run test venv venv-test venv-load loadtest two-nodes lint audit check-migrations clean

$(VENV)/.created:
	@py="$(find_python)"; \
	if [ -z "$$py" ]; then \
	  echo "ERROR: Django 6.1 needs Python 3.12 or newer and none was found."; \
	  echo "Install one (e.g. 'pyenv install 3.12' or your OS package python3.12)"; \
	  echo "or point at it: make run PYTHON=/path/to/python3.12"; exit 1; fi; \
	echo "Using $$py ($$($$py --version))"; \
	rm -rf $(VENV) && "$$py" -m venv $(VENV) && $(PY) -m pip install -q -U pip && touch $@

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml
	$(PY) -m pip install -q -e ".[test]"
	@touch $@ $(VENV)/.installed

# The load test's extra (locust) on top of the test extras.
$(VENV)/.installed-load: $(VENV)/.created pyproject.toml
	$(PY) -m pip install -q -e ".[test,load]"
	@touch $@ $(VENV)/.installed-test $(VENV)/.installed

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test
venv-load: $(VENV)/.installed-load

run: export DJANGO_DEBUG ?= 1
run: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	$(MANAGE) create_demo_users
	@echo ""
	@echo "  Cell Therapy Trial Tracker: http://127.0.0.1:$(PORT)/"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/  (local demo accounts, DEBUG only:"
	@echo "         curator / curator-demo-pass   and   reviewer / reviewer-demo-pass)"
	@echo ""
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# Runs on SQLite unless DATABASE_URL is set (CI sets it to PostgreSQL for a second pass).
test: export DJANGO_SECRET_KEY ?= insecure-key-for-tests-only
test: venv-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

# Known vulnerabilities in the installed dependencies (PyPI's advisory data, via pip-audit).
# Fails on any known vulnerability, and also when a dependency could not be checked (the
# advisory service unreachable), so "nothing checked" never reads as "nothing found".
# AUDIT_ALLOW_UNCHECKED=1 turns only that second case into a loud warning.
audit: venv-test
	@log="$$(mktemp)"; \
	$(VENV)/bin/pip-audit --skip-editable --progress-spinner off 2>&1 | tee "$$log"; \
	status=$${PIPESTATUS[0]}; \
	unchecked=$$(grep -c "could not be audited" "$$log" || true); rm -f "$$log"; \
	if [ "$$status" -ne 0 ]; then \
	  echo "make audit: FAILED (known vulnerabilities or an audit error above)"; exit 1; fi; \
	if [ "$$unchecked" -gt 0 ]; then \
	  echo "make audit: NOT DONE for $$unchecked dependencies: their advisory data could not be"; \
	  echo "reached from here, so nothing is known about them either way."; \
	  [ "$${AUDIT_ALLOW_UNCHECKED:-0}" = 1 ] || exit 2; \
	else echo "make audit: every dependency checked, no known vulnerabilities."; fi

# Load test (docs/operations.md, "Load test"): gunicorn with 2 workers on PostgreSQL, 10,000
# synthetic trials, 50 locust users for 60 s while 500 synthetic studies are imported. Needs
# DATABASE_URL (its trials are replaced). Options: LOADTEST_ARGS="--users 20 --run-time 30s".
loadtest: venv-load
	$(PY) loadtest/run.py $(LOADTEST_ARGS)

# Two gunicorn instances on one PostgreSQL (DATABASE_URL): a publish through one is seen by the
# other on its next request (docs/operations.md, "Scaling out").
two-nodes: venv
	$(PY) loadtest/two_nodes.py

lint: venv-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# Hush: `make run` for a first look, `make test` for the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install run test lint deploy-check worker beat messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Embedded mode: SQLite, tasks in-process, throwaway keys. Never for production.
run: install
	HUSH_DEV=1 $(PY) manage.py migrate --noinput
	HUSH_DEV=1 $(PY) manage.py seed_demo
	@echo "Try: HUSH_DEV=1 $(PY) manage.py links demo@example.com"
	HUSH_DEV=1 $(PY) manage.py runserver 127.0.0.1:8000

test: install lint deploy-check
	$(PY) -m pytest --cov --cov-report=
	@echo "coverage: $$($(PY) -m coverage report --format=total)% of lines and branches (the table: $(PY) -m coverage report)"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Production settings, with generated secrets, must pass Django's deployment checks.
deploy-check: install
	env -u HUSH_DEV -u DEBUG \
	  SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  HUSH_FIELD_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	  HUSH_DIGEST_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	  ALLOWED_HOSTS=hush.example.com HUSH_BASE_URL=https://hush.example.com \
	  HUSH_AUDIT_CHECKPOINT_DIR=/var/lib/hush/audit-checkpoints \
	  HUSH_AUDIT_SIGNING_KEY="$$($(PY) -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')" \
	  $(PY) manage.py check --deploy --fail-level WARNING

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO

messages: install
	HUSH_DEV=1 $(PY) manage.py makemessages -l fr -l de --ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench
	HUSH_DEV=1 $(PY) manage.py compilemessages --ignore=.venv

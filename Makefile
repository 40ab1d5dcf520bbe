# 评议 (pingyi). The two commands of the README:
#   make run    install what is missing, migrate, load demo data, start web + worker + beat
#   make test   install what is missing and run the whole suite (PostgreSQL + Redis)
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run test lint check-deploy bench lock clean-venv

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

DEBS_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
DEBS_TEST := $(DEBS_RUN) poppler-utils chromium chromium-driver postgresql redis-server
DEBS_BENCH := $(DEBS_RUN) wrk postgresql redis-server

help:
	@echo "make run    — 安装依赖、迁移数据库、载入演示数据并启动网站、任务进程和定时调度"
	@echo "make test   — 安装依赖并运行全部测试（PostgreSQL + Redis）"
	@echo "make bench  — 运行 bench/ 下的全部性能基准"

# --- the virtualenv, from the hashed lock files ------------------------------------------
$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || .ci/ensure-debs python3-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@ $(VENV)/.run-installed

# --- make run ------------------------------------------------------------------------------
run: $(VENV)/.run-installed
	@.ci/ensure-debs $(DEBS_RUN)
	$(PY) manage.py migrate --noinput
	@$(PY) manage.py seed_demo
	@echo ""
	@echo "评议已启动 / pingyi is running:  http://$(HOST):$(PORT)/"
	@echo "（网站、任务进程 worker 和定时调度 beat 一同运行；按 Ctrl-C 全部停止）"
	@echo ""
	$(VENV)/bin/honcho start -f Procfile

# --- make test -----------------------------------------------------------------------------
test: $(VENV)/.dev-installed
	@.ci/ensure-debs $(DEBS_TEST)
	@eval "$$(.ci/ensure-services)" && \
	  export DATABASE_URL="$${PG_ADMIN_URL%/*}/pingyi" REDIS_URL && \
	  $(MAKE) --no-print-directory lint check-deploy && \
	  DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test && \
	  $(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-deploy: $(VENV)/.run-installed
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	ALLOWED_HOSTS=pingyi.example.org \
	  $(PY) manage.py check --deploy --fail-level WARNING --settings=config.settings.production

# --- make bench ----------------------------------------------------------------------------
bench: $(VENV)/.dev-installed
	@.ci/ensure-debs $(DEBS_BENCH)
	@eval "$$(.ci/ensure-services)" && export DATABASE_URL="$$PG_ADMIN_URL" && \
	  for f in bench/[!_]*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# --- maintenance ---------------------------------------------------------------------------
lock:
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header -q -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -q -o requirements-dev.lock

clean-venv:
	rm -rf $(VENV)

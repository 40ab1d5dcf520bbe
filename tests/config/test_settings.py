"""Settings come from the environment with strict parsing; Celery is set up per R17–R20."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config import env
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def test_boolean_is_strict(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env.boolean("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env.boolean("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.boolean("X_FLAG", False)


def test_integer_and_lists_are_strict(monkeypatch):
    monkeypatch.setenv("X_NUM", "12a")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        env.integer("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env.integer("X_NUM", 1, minimum=0)
    monkeypatch.setenv("X_LIST", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        env.string_list("X_LIST", [])
    monkeypatch.delenv("X_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_MISSING is required"):
        env.string("X_MISSING")


def _import_settings(module, **environ):
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env={**clean, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_requires_secret_key_and_hosts():
    result = _import_settings("config.settings.production")
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr
    result = _import_settings("config.settings.production", SECRET_KEY="k" * 60)
    assert result.returncode != 0 and "ALLOWED_HOSTS is required" in result.stderr
    ok = _import_settings(
        "config.settings.production", SECRET_KEY="k" * 60, ALLOWED_HOSTS="pingyi.example.org"
    )
    assert ok.returncode == 0, ok.stderr


def test_a_typo_in_a_flag_stops_start_up():
    result = _import_settings(
        "config.settings.production",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="x.example",
        SECURE_SSL_REDIRECT="flase",
    )
    assert result.returncode != 0 and "SECURE_SSL_REDIRECT" in result.stderr


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_celery_is_safe_against_lost_workers():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    from config.settings import base

    visibility = base.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert base.CELERY_TASK_SOFT_TIME_LIMIT < base.CELERY_TASK_TIME_LIMIT < visibility


def test_tests_use_the_in_memory_broker():
    assert celery_app.conf.broker_url == "memory://"


def test_no_view_is_csrf_exempt():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("config", "subjects", "reviews", "surveys", "rectification")
        for path in (ROOT / folder).rglob("*.py")
        if "csrf_exempt" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []

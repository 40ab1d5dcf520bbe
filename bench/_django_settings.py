"""Bench settings: the project's production settings plus the bench-only URLs."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench._urls"

"""Celery discovers `surveys.tasks`; the tasks live beside the code they run."""

from .export_tasks import *  # noqa: F401,F403
from .mail_tasks import *  # noqa: F401,F403

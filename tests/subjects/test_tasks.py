"""A real Celery worker (in-process, memory broker) runs the heartbeat beat sends."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from config.celery import app as celery_app
from subjects.models import ServiceHeartbeat
from subjects.tasks import heartbeat


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_heartbeat_and_status_page_shows_it(client, office_clerk):
    client.force_login(office_clerk)
    assert "尚未收到心跳" in client.get(reverse("system_status")).content.decode()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        heartbeat.delay()
        for _ in range(100):
            if ServiceHeartbeat.objects.filter(name="celery").exists():
                break
            time.sleep(0.1)
    assert ServiceHeartbeat.objects.filter(name="celery").exists()
    assert "运行中" in client.get(reverse("system_status")).content.decode()

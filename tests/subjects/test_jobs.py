"""Background jobs: start after commit, progress page, download; only the creator or the
office may see a job (others 404); a real worker runs an export end to end."""

import time
from io import BytesIO

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from config.celery import app as celery_app
from subjects import jobs
from subjects.models import Job, JobStatus
from subjects.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def job(db, group_member):
    return Job.objects.create(kind="x.y", label="导出原始答卷：测试", created_by=group_member)


def _urls(job):
    return [reverse(name, args=[job.pk]) for name in ("job", "job_progress", "job_download")]


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, job):
    for url in _urls(job):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_another_user_gets_404(client, job, chair, deputy):
    for user in (chair, deputy):
        client.force_login(user)
        for url in _urls(job):
            assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_creator_and_office_see_the_progress(client, job, group_member, office_clerk):
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=25, total=100)
    for user in (group_member, office_clerk):
        client.force_login(user)
        html = client.get(reverse("job", args=[job.pk])).content.decode()
        assert "导出原始答卷：测试" in html and "25 / 100" in html
        assert 'hx-trigger="every 1s"' in html
        partial = client.get(reverse("job_progress", args=[job.pk])).content.decode()
        assert 'width="25"' in partial and "<html" not in partial
        # Not done yet: nothing to download.
        assert client.get(reverse("job_download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_done_job_stops_polling_and_downloads(client, job, group_member):
    job.file.save("a.xlsx", ContentFile(b"PK-bytes"), save=False)
    job.status, job.filename = JobStatus.DONE, "原始答卷.xlsx"
    job.save()
    client.force_login(group_member)
    partial = client.get(reverse("job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in partial and "下载 原始答卷.xlsx" in partial
    response = client.get(reverse("job_download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK-bytes"
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.django_db
def test_failed_job_shows_the_error(client, job, group_member):
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="任务失败：OSError")
    client.force_login(group_member)
    html = client.get(reverse("job_progress", args=[job.pk])).content.decode()
    assert "任务失败：OSError" in html and "hx-trigger" not in html


@pytest.mark.django_db(transaction=True)
def test_rolled_back_start_sends_nothing(monkeypatch):
    sent = []
    monkeypatch.setattr(jobs.current_app, "send_task", lambda name, args: sent.append(name))
    user = UserFactory(roles=[Role.OFFICE])
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.start_job(actor=user, kind="x.y", label="t", params={})
        raise RuntimeError
    assert sent == [] and not Job.objects.exists()
    jobs.start_job(actor=user, kind="x.y", label="t", params={})
    assert sent == ["x.y"]


@pytest.mark.django_db
def test_run_job_claims_once(office_clerk):
    job = Job.objects.create(kind="x.y", label="t", created_by=office_clerk)
    calls = []

    def work(job, progress):
        progress(5, 10)
        assert Job.objects.get(pk=job.pk).done == 5
        calls.append(1)
        return "out.csv", b"a,b\n"

    jobs.run_job(job.pk, work)
    jobs.run_job(job.pk, work)
    job.refresh_from_db()
    assert calls == [1] and job.status == JobStatus.DONE and job.file.read() == b"a,b\n"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_export(client):
    from tests.factories import ReviewFactory, SubjectFactory, matrix_questionnaire

    office = UserFactory(username="clerk2", roles=[Role.OFFICE])
    review = ReviewFactory()
    questionnaire = matrix_questionnaire(review, SubjectFactory.create_batch(2, review=review))
    client.force_login(office)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client.post(
            reverse("surveys:questionnaire_export", args=[questionnaire.pk]), {"what": "raw"}
        )
        job = Job.objects.get()
        for _ in range(100):
            job.refresh_from_db()
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                break
            time.sleep(0.1)
    assert response.status_code == 302
    assert job.status == JobStatus.DONE, job.error
    download = client.get(reverse("job_download", args=[job.pk]))
    workbook = load_workbook(BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["原始答卷"]

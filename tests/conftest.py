"""Personas of ARCHITECTURE.md, shared by every test module."""

import pytest
from django.db import connection

from subjects.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def office_clerk(db):
    return UserFactory(username="clerk", full_name="李晓燕", roles=[Role.OFFICE])


@pytest.fixture
def superuser(db):
    return UserFactory(
        username="root", full_name="周志刚", is_staff=True, is_superuser=True, roles=[Role.OFFICE]
    )


@pytest.fixture
def chair(db):
    return UserFactory(
        username="chair", full_name="张德明", roles=[Role.COUNCIL, Role.COMMITTEE_MEMBER]
    )


@pytest.fixture
def group_member(db):
    return UserFactory(username="grp", full_name="陈立新", roles=[Role.GROUP_MEMBER])


@pytest.fixture
def committee_member(db):
    return UserFactory(username="member", full_name="刘海燕", roles=[Role.COMMITTEE_MEMBER])


@pytest.fixture
def deputy(db):
    return UserFactory(username="deputy", full_name="王秀英", roles=[Role.DEPUTY])


@pytest.fixture
def official_a(db):
    return UserFactory(
        username="official_a",
        full_name="赵建华",
        organization="县自然资源局",
        roles=[Role.OFFICIAL],
    )


@pytest.fixture
def official_b(db):
    return UserFactory(
        username="official_b",
        full_name="孙丽",
        organization="县市场监督管理局",
        roles=[Role.OFFICIAL],
    )


@pytest.fixture
def personas(office_clerk, chair, group_member, committee_member, deputy, official_a):
    return {
        "office": office_clerk,
        "council": chair,
        "group_member": group_member,
        "committee_member": committee_member,
        "deputy": deputy,
        "official": official_a,
    }


@pytest.fixture
def requires_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); `make test` provides it")


def pytest_collection_modifyitems(config, items):
    # CI must run the concurrency tests: refuse to pass on SQLite there.
    import os

    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("CI") == "true" and "postgresql" not in engine:
        raise pytest.UsageError("CI runs on PostgreSQL: set DATABASE_URL (make test does).")

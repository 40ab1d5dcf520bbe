import pytest
from django.core.management import call_command

from subjects.demo import DEMO_PASSWORD, DEMO_USERS
from subjects.models import User, UserRole
from subjects.roles import Role


@pytest.mark.django_db
def test_seed_demo_covers_every_role_and_is_idempotent(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == len(DEMO_USERS)
    held = set(UserRole.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    assert UserRole.objects.count() == sum(len(spec.roles) for spec in DEMO_USERS)
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and "office" in out
    office = User.objects.get(username="office")
    assert office.check_password(DEMO_PASSWORD)
    assert not office.is_superuser and User.objects.get(username="admin").is_superuser

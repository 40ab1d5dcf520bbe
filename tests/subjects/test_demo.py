import pytest
from django.core.management import call_command

from reviews.models import WorkingGroup
from subjects.demo import DEMO_OFFICIALS, DEMO_PASSWORD, DEMO_UNITS, DEMO_USERS, EXTRA_MEMBERS
from subjects.models import Official, Unit, User, UserRole
from subjects.roles import Role


@pytest.mark.django_db
def test_seed_demo_covers_every_role_and_is_idempotent(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == len(DEMO_USERS) + len(EXTRA_MEMBERS)
    held = set(UserRole.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    # Each user holds the roles of their spec, plus the working-group role that putting them in
    # a working group grants (reviews.services.save_group), and nothing else.
    expected = {(spec.username, role) for spec in DEMO_USERS for role in spec.roles}
    expected |= {(m[0], role) for m in EXTRA_MEMBERS for role in m[4]}
    in_groups = WorkingGroup.objects.values_list("leader__username", "members__username")
    expected |= {(name, Role.GROUP_MEMBER) for pair in in_groups for name in pair if name}
    assert set(UserRole.objects.values_list("user__username", "role")) == expected
    assert UserRole.objects.count() == len(expected)
    assert Unit.objects.count() == len(DEMO_UNITS)
    assert Official.objects.count() == len(DEMO_OFFICIALS) >= 40
    assert Official.objects.get(name="赵建华").user.username == "official"
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and "office" in out
    office = User.objects.get(username="office")
    assert office.check_password(DEMO_PASSWORD)
    assert not office.is_superuser and User.objects.get(username="admin").is_superuser

"""Service functions of the roster (名册): every change to a unit or an official goes
through here, in a transaction, with an audit event (R21)."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from .audit import record, register_actions
from .models import Notification, Official, PostHistory, Unit

register_actions(
    {
        "roster.official_created": "新增被任命人员",
        "roster.official_updated": "修改被任命人员",
        "roster.unit_created": "新增单位",
        "roster.unit_updated": "修改单位",
        "roster.imported": "导入名册",
        "roster.exported": "导出名册",
    }
)

OFFICIAL_FIELDS = (
    "name",
    "gender",
    "unit",
    "post",
    "appointed_on",
    "in_post_since",
    "term",
    "status",
    "phone",
)
UNIT_FIELDS = ("name", "short_name", "category", "liaison_committee", "is_active")


def _shown(instance, name: str):
    """A field's value as the audit trail keeps it: readable and JSON-safe."""
    value = getattr(instance, name)
    field = instance._meta.get_field(name)
    if field.is_relation:
        return str(value) if value is not None else None
    if field.choices:
        return str(getattr(instance, f"get_{name}_display")())
    if isinstance(value, date):
        return value.isoformat()
    return value


def _changes(before, after, fields) -> dict[str, list]:
    """{field: [old, new]} of the fields whose value differs."""
    changed = {}
    for name in fields:
        field = after._meta.get_field(name)
        attname = field.attname
        if getattr(before, attname) != getattr(after, attname):
            changed[name] = [_shown(before, name), _shown(after, name)]
    return changed


def _labels(model, names) -> str:
    return "、".join(str(model._meta.get_field(name).verbose_name) for name in names)


@transaction.atomic
def save_official(*, actor, official: Official | None = None, data: dict) -> Official:
    """Create an official, or update one. `data` holds the cleaned values of
    OFFICIAL_FIELDS (the unit as a Unit).

    When the unit or the post changes, the old post goes to the post history, ending on the
    new 任现职时间 when that changed too, otherwise today. Returns the official; an update
    that changes nothing writes nothing.
    """
    if official is None or official.pk is None:
        official = Official(**{name: data[name] for name in OFFICIAL_FIELDS if name in data})
        official.full_clean()
        official.save()
        record(
            actor=actor,
            action="roster.official_created",
            target=official,
            summary=f"新增被任命人员：{official.unit.name} {official.post} {official.name}",
            data={name: _shown(official, name) for name in OFFICIAL_FIELDS},
        )
        return official

    # Re-read under lock: the instance a ModelForm was given already holds the new values.
    before = Official.objects.select_for_update().select_related("unit").get(pk=official.pk)
    after = Official.objects.select_related("unit").get(pk=official.pk)
    for name, value in data.items():
        if name in OFFICIAL_FIELDS:
            setattr(after, name, value)
    after.full_clean()
    changed = _changes(before, after, OFFICIAL_FIELDS)
    if not changed:
        return after
    if "unit" in changed or "post" in changed:
        ended_on = after.in_post_since if "in_post_since" in changed else timezone.localdate()
        PostHistory.objects.create(
            official=after,
            unit_name=before.unit.name,
            post=before.post,
            appointed_on=before.appointed_on,
            started_on=before.in_post_since,
            ended_on=ended_on,
        )
    after.save(update_fields=[*changed, "updated_at"])
    record(
        actor=actor,
        action="roster.official_updated",
        target=after,
        summary=f"修改被任命人员 {after.name} 的{_labels(Official, changed)}",
        data=changed,
    )
    return after


@transaction.atomic
def save_unit(*, actor, unit: Unit | None = None, data: dict) -> Unit:
    """Create a unit, or update one; `data` holds the cleaned values of UNIT_FIELDS."""
    if unit is None or unit.pk is None:
        unit = Unit(**{name: data[name] for name in UNIT_FIELDS if name in data})
        unit.full_clean()
        unit.save()
        record(
            actor=actor,
            action="roster.unit_created",
            target=unit,
            summary=f"新增单位：{unit.name}（{unit.get_category_display()}）",
            data={name: _shown(unit, name) for name in UNIT_FIELDS},
        )
        return unit

    before = Unit.objects.select_for_update().get(pk=unit.pk)
    after = Unit.objects.get(pk=unit.pk)
    for name, value in data.items():
        if name in UNIT_FIELDS:
            setattr(after, name, value)
    after.full_clean()
    changed = _changes(before, after, UNIT_FIELDS)
    if not changed:
        return after
    after.save(update_fields=[*changed, "updated_at"])
    record(
        actor=actor,
        action="roster.unit_updated",
        target=after,
        summary=f"修改单位 {after.name} 的{_labels(Unit, changed)}",
        data=changed,
    )
    return after


def mark_notifications_read(*, user) -> int:
    """Mark every unread notification of `user` (and nobody else's) as read."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )

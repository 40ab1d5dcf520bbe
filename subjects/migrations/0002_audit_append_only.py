"""The audit trail is append-only at the database too (R21): on PostgreSQL a trigger refuses
UPDATE and DELETE of audit rows, whoever connects. SQLite (the single-machine default) relies
on the model and queryset guards."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION subjects_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'subjects_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER subjects_auditevent_append_only
    BEFORE UPDATE OR DELETE ON subjects_auditevent
    FOR EACH ROW EXECUTE FUNCTION subjects_auditevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS subjects_auditevent_append_only ON subjects_auditevent;
DROP FUNCTION IF EXISTS subjects_auditevent_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("subjects", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]

"""million: submission_tally, the dashboard's counts kept by triggers on submission; flag lookups by current version

Revision ID: 0012_million
Revises: 0012_webforms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_million"
down_revision = "0012_webforms"
branch_labels = None
depends_on = None

KEY = "form_id, day, submitter_id, province_code, district_code, subdistrict_code, village_code, review_state"
WATCHED = ("form_id", "created_at", "submitter_id", "province_code", "district_code", "subdistrict_code",
           "village_code", "review_state", "deleted_at")  # fmt: skip


def _key(row: str, day: str) -> list[str]:
    """The tally key of submission row OLD or NEW (unknowns as '' and 0, as the table stores them)."""
    return [
        f"{row}.form_id",
        day,
        f"coalesce({row}.submitter_id, 0)",
        *(f"coalesce({row}.{c}, '')" for c in ("province_code", "district_code", "subdistrict_code", "village_code")),
        f"coalesce({row}.review_state, '')",
    ]


def _values(row: str, day: str) -> str:
    return ", ".join(_key(row, day))


def _pg_day(row: str) -> str:
    return f"(({row}.created_at AT TIME ZONE 'UTC') + interval '7 hours')::date"


def _sqlite_day(row: str) -> str:
    return f"date({row}.created_at, '+7 hours')"


def _sqlite_match(row: str) -> str:
    return " AND ".join(
        f"{column} = {value}"
        for column, value in zip(KEY.split(", "), _key(row, _sqlite_day(row)), strict=True)
    )


def upgrade() -> None:
    op.create_table(
        "submission_tally",
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("subdistrict_code", sa.String(length=6), nullable=False),
        sa.Column("village_code", sa.String(length=64), nullable=False),
        sa.Column("review_state", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY.split(", "), name=op.f("pk_submission_tally")),
    )
    op.create_index("ix_submission_current_version", "submission", ["current_version_id"])
    op.drop_index("ix_submission_dash_place", table_name="submission")  # the tally counts villages now
    postgres = op.get_bind().dialect.name == "postgresql"
    day = _pg_day("s") if postgres else _sqlite_day("s")
    op.execute(
        f"INSERT INTO submission_tally ({KEY}, n) SELECT {_values('s', day)}, count(*) FROM submission s "
        f"WHERE s.deleted_at IS NULL GROUP BY {_values('s', day)}"
    )
    if postgres:
        upsert = (
            f"INSERT INTO submission_tally AS t ({KEY}, n) VALUES ({{values}}, {{delta}}) "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = t.n + EXCLUDED.n;"
        )
        op.execute(
            f"""
            CREATE FUNCTION submission_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
                    {upsert.format(values=_values("OLD", _pg_day("OLD")), delta=-1)}
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
                    {upsert.format(values=_values("NEW", _pg_day("NEW")), delta=1)}
                END IF;
                RETURN NULL;
            END $$
            """
        )
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
        op.execute(
            "CREATE TRIGGER submission_tally_write AFTER INSERT OR DELETE ON submission "
            "FOR EACH ROW EXECUTE FUNCTION submission_tally_apply()"
        )
        op.execute(
            f"CREATE TRIGGER submission_tally_change AFTER UPDATE ON submission FOR EACH ROW WHEN ({changed}) "
            "EXECUTE FUNCTION submission_tally_apply()"
        )
        return
    # SQLite: no procedures, so one trigger per event; a missing row is made first, then counted.
    new_values, old_values = _values("NEW", _sqlite_day("NEW")), _values("OLD", _sqlite_day("OLD"))
    add = (
        f"INSERT OR IGNORE INTO submission_tally ({KEY}, n) SELECT {new_values}, 0 WHERE NEW.deleted_at IS NULL; "
        f"UPDATE submission_tally SET n = n + 1 WHERE NEW.deleted_at IS NULL AND {_sqlite_match('NEW')};"
    )
    remove = (
        f"INSERT OR IGNORE INTO submission_tally ({KEY}, n) SELECT {old_values}, 0 WHERE OLD.deleted_at IS NULL; "
        f"UPDATE submission_tally SET n = n - 1 WHERE OLD.deleted_at IS NULL AND {_sqlite_match('OLD')};"
    )
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    op.execute(f"CREATE TRIGGER submission_tally_insert AFTER INSERT ON submission BEGIN {add} END")
    op.execute(f"CREATE TRIGGER submission_tally_delete AFTER DELETE ON submission BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER submission_tally_update AFTER UPDATE ON submission WHEN {changed} BEGIN {remove} {add} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS submission_tally_change ON submission")
        op.execute("DROP TRIGGER IF EXISTS submission_tally_write ON submission")
        op.execute("DROP FUNCTION IF EXISTS submission_tally_apply()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS submission_tally_{name}")
    op.drop_table("submission_tally")
    op.drop_index("ix_submission_current_version", table_name="submission")
    op.create_index(
        "ix_submission_dash_place",
        "submission",
        ["form_id", "village_code", "subdistrict_code"],
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )

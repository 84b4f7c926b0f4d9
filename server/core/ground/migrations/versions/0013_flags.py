"""flags: flag_tally, quality flags by kind kept by triggers on submission and quality_flag

Revision ID: 0013_flags
Revises: 0012_million

flag_tally holds, per submission_tally's key and a flag code, how many live submissions have at
least one flag of that code on their current version. The invariant, after every statement:

    n(key, code) = #{live submission s with key(s) = key and a quality_flag (s.current_version_id, code)}

A statement on `submission` changes only submission rows: its row trigger removes OLD's codes under
OLD's key and adds NEW's codes under NEW's key (the flags of a version do not change in it). A
statement on `quality_flag` changes only flags: for each (version, code) it touched, the flag kind
appeared on that version when there were none before and some after (+1 for the live submission
whose current version it is), and disappeared in the reverse case (−1). PostgreSQL's row triggers
run at the end of their statement, so there the flag side is a statement trigger over the
transition tables (before = now − inserted + deleted); SQLite's run at once after each row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_flags"
down_revision = "0012_million"
branch_labels = None
depends_on = None

KEY = "form_id, day, submitter_id, province_code, district_code, subdistrict_code, village_code, review_state"
FULL_KEY = KEY + ", code"
WATCHED = ("form_id", "created_at", "submitter_id", "province_code", "district_code", "subdistrict_code",
           "village_code", "review_state", "deleted_at", "current_version_id")  # fmt: skip


def _key(row: str, day: str) -> list[str]:
    return [
        f"{row}.form_id",
        day,
        f"coalesce({row}.submitter_id, 0)",
        *(f"coalesce({row}.{c}, '')" for c in ("province_code", "district_code", "subdistrict_code", "village_code")),
        f"coalesce({row}.review_state, '')",
    ]


def _pg_day(row: str) -> str:
    return f"(({row}.created_at AT TIME ZONE 'UTC') + interval '7 hours')::date"


def _sqlite_day(row: str) -> str:
    return f"date({row}.created_at, '+7 hours')"


def _pg_flag_function(name: str, changes: str) -> str:
    """A statement trigger function over the (version, code, added, removed) rows of `changes`."""
    values = ", ".join(_key("s", _pg_day("s")))
    return f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WITH changed AS (
                SELECT v, code, sum(added) AS added, sum(removed) AS removed FROM ({changes}) c GROUP BY v, code
            ), counted AS (
                SELECT c.v, c.code, c.added, c.removed,
                       (SELECT count(*) FROM quality_flag q WHERE q.submission_version_id = c.v AND q.code = c.code)
                           AS now
                FROM changed c
            ), moved AS (
                SELECT v, code, CASE WHEN now - added + removed = 0 AND now > 0 THEN 1
                                     WHEN now - added + removed > 0 AND now = 0 THEN -1 ELSE 0 END AS delta
                FROM counted
            )
            INSERT INTO flag_tally AS t ({FULL_KEY}, n)
            SELECT {values}, m.code, sum(m.delta)
            FROM moved m JOIN submission s ON s.current_version_id = m.v AND s.deleted_at IS NULL
            WHERE m.delta <> 0
            GROUP BY {values}, m.code
            ON CONFLICT ({FULL_KEY}) DO UPDATE SET n = t.n + EXCLUDED.n;
            RETURN NULL;
        END $$
    """


def upgrade() -> None:
    op.create_table(
        "flag_tally",
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("district_code", sa.String(length=4), nullable=False),
        sa.Column("subdistrict_code", sa.String(length=6), nullable=False),
        sa.Column("village_code", sa.String(length=64), nullable=False),
        sa.Column("review_state", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*FULL_KEY.split(", "), name=op.f("pk_flag_tally")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    values = ", ".join(_key("s", _pg_day("s") if postgres else _sqlite_day("s")))
    op.execute(
        f"INSERT INTO flag_tally ({FULL_KEY}, n) SELECT {values}, q.code, count(DISTINCT s.id) "
        "FROM submission s JOIN quality_flag q ON q.submission_version_id = s.current_version_id "
        f"WHERE s.deleted_at IS NULL GROUP BY {values}, q.code"
    )
    if postgres:
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def _upgrade_postgres() -> None:
    upsert = (
        f"INSERT INTO flag_tally AS t ({FULL_KEY}, n) SELECT {{values}}, q.code, {{delta}} "
        "FROM (SELECT DISTINCT code FROM quality_flag WHERE submission_version_id = {row}.current_version_id) q "
        f"ON CONFLICT ({FULL_KEY}) DO UPDATE SET n = t.n + EXCLUDED.n;"
    )
    remove = upsert.format(values=", ".join(_key("OLD", _pg_day("OLD"))), delta=-1, row="OLD")
    add = upsert.format(values=", ".join(_key("NEW", _pg_day("NEW"))), delta=1, row="NEW")
    op.execute(
        f"""
        CREATE FUNCTION flag_tally_submission() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL AND OLD.current_version_id IS NOT NULL THEN
                {remove}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL AND NEW.current_version_id IS NOT NULL THEN
                {add}
            END IF;
            RETURN NULL;
        END $$
        """
    )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    op.execute(
        "CREATE TRIGGER flag_tally_submission_write AFTER INSERT OR DELETE ON submission "
        "FOR EACH ROW EXECUTE FUNCTION flag_tally_submission()"
    )
    op.execute(
        f"CREATE TRIGGER flag_tally_submission_change AFTER UPDATE ON submission FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION flag_tally_submission()"
    )
    added = "SELECT submission_version_id AS v, code, 1 AS added, 0 AS removed FROM new_flags"
    removed = "SELECT submission_version_id AS v, code, 0 AS added, 1 AS removed FROM old_flags"
    for event, changes, tables in (
        ("INSERT", added, "NEW TABLE AS new_flags"),
        ("DELETE", removed, "OLD TABLE AS old_flags"),
        ("UPDATE", f"{added} UNION ALL {removed}", "NEW TABLE AS new_flags OLD TABLE AS old_flags"),
    ):
        name = f"flag_tally_flags_{event.lower()}"
        op.execute(_pg_flag_function(name, changes))
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON quality_flag REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def _sqlite_change(row: str, sign: str) -> str:
    """Statements moving `row`'s (a submission's OLD or NEW) flag codes by `sign` under its key."""
    values = ", ".join(_key(row, _sqlite_day(row)))
    live = f"{row}.deleted_at IS NULL AND {row}.current_version_id IS NOT NULL"
    codes = f"SELECT DISTINCT code FROM quality_flag WHERE submission_version_id = {row}.current_version_id"
    match = " AND ".join(f"{c} = {v}" for c, v in zip(KEY.split(", "), _key(row, _sqlite_day(row)), strict=True))
    return (
        f"INSERT OR IGNORE INTO flag_tally ({FULL_KEY}, n) SELECT {values}, q.code, 0 FROM ({codes}) q WHERE {live}; "
        f"UPDATE flag_tally SET n = n {sign} 1 WHERE {live} AND {match} AND code IN ({codes});"
    )


def _sqlite_flag(row: str, sign: str, remaining: int) -> str:
    """Statements for one flag row inserted (NEW, +1, 1 left: the first of its kind) or deleted (OLD,
    −1, 0 left: the last) on its version, counted for the live submission whose current version it is."""
    values = ", ".join(_key("s", _sqlite_day("s")))
    first = (
        f"(SELECT count(*) FROM quality_flag q WHERE q.submission_version_id = {row}.submission_version_id "
        f"AND q.code = {row}.code) = {remaining}"
    )
    owner = f"FROM submission s WHERE s.current_version_id = {row}.submission_version_id AND s.deleted_at IS NULL"
    return (
        f"INSERT OR IGNORE INTO flag_tally ({FULL_KEY}, n) SELECT {values}, {row}.code, 0 {owner} AND {first}; "
        f"UPDATE flag_tally SET n = n {sign} 1 WHERE {first} AND ({FULL_KEY}) IN (SELECT {values}, {row}.code {owner});"
    )


def _upgrade_sqlite() -> None:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    add, remove = _sqlite_change("NEW", "+"), _sqlite_change("OLD", "-")
    op.execute(f"CREATE TRIGGER flag_tally_submission_insert AFTER INSERT ON submission BEGIN {add} END")
    op.execute(f"CREATE TRIGGER flag_tally_submission_delete AFTER DELETE ON submission BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER flag_tally_submission_update AFTER UPDATE ON submission WHEN {changed} "
        f"BEGIN {remove} {add} END"
    )
    flag_added, flag_removed = _sqlite_flag("NEW", "+", 1), _sqlite_flag("OLD", "-", 0)
    op.execute(f"CREATE TRIGGER flag_tally_flags_insert AFTER INSERT ON quality_flag BEGIN {flag_added} END")
    op.execute(f"CREATE TRIGGER flag_tally_flags_delete AFTER DELETE ON quality_flag BEGIN {flag_removed} END")
    op.execute(
        "CREATE TRIGGER flag_tally_flags_update AFTER UPDATE ON quality_flag WHEN "
        "OLD.code IS NOT NEW.code OR OLD.submission_version_id IS NOT NEW.submission_version_id "
        f"BEGIN {_sqlite_flag('OLD', '-', 0)} {_sqlite_flag('NEW', '+', 1)} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS flag_tally_flags_{event} ON quality_flag")
            op.execute(f"DROP FUNCTION IF EXISTS flag_tally_flags_{event}()")
        op.execute("DROP TRIGGER IF EXISTS flag_tally_submission_change ON submission")
        op.execute("DROP TRIGGER IF EXISTS flag_tally_submission_write ON submission")
        op.execute("DROP FUNCTION IF EXISTS flag_tally_submission()")
    else:
        for name in ("submission_insert", "submission_delete", "submission_update",
                     "flags_insert", "flags_delete", "flags_update"):  # fmt: skip
            op.execute(f"DROP TRIGGER IF EXISTS flag_tally_{name}")
    op.drop_table("flag_tally")

"""tallyslots: submission_tally and flag_tally counted per connection slot, so concurrent writers stop queueing

Revision ID: 0015_tallyslots
Revises: 0014_csvcells

Every intake of the same surveyor on the same day upserted one submission_tally row, and the
worker's batch moved many of them at once: each transaction held that row's lock until its commit,
so 32 phones of one app user went through the database one at a time (measured: a dozen intake
statements waiting on a `transactionid` lock at any moment). On PostgreSQL the triggers now count
under a slot, the writing connection's backend pid modulo SLOTS, so writers on different
connections touch different rows; readers already sum `n` over the key they ask for. A slot's `n`
may go below zero (a submission counted in one slot and moved out in another); only sums mean
anything. SQLite has one writer: its triggers keep writing slot 0.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_tallyslots"
down_revision = "0014_csvcells"
branch_labels = None
depends_on = None

SLOTS = 32
KEY = "form_id, day, submitter_id, province_code, district_code, subdistrict_code, village_code, review_state"
FLAG_KEY = KEY + ", code"


def _key(row: str) -> str:
    day = f"(({row}.created_at AT TIME ZONE 'UTC') + interval '7 hours')::date"
    codes = (
        f"coalesce({row}.{c}, '')"
        for c in ("province_code", "district_code", "subdistrict_code", "village_code")
    )
    return ", ".join(
        [
            f"{row}.form_id",
            day,
            f"coalesce({row}.submitter_id, 0)",
            *codes,
            f"coalesce({row}.review_state, '')",
        ]
    )


def _functions(slotted: bool, slot: str = f"pg_backend_pid() % {SLOTS}") -> list[str]:
    """The PostgreSQL trigger functions of 0012_million and 0013_flags, counting under the writer's
    slot (`slotted`, the SQL expression `slot`) or, for the downgrade, without one."""
    slot_column, slot_value = (", slot", f", {slot}") if slotted else ("", "")

    def upsert(table: str, key: str, select: str) -> str:
        return (
            f"INSERT INTO {table} AS t ({key}{slot_column}, n) {select} "
            f"ON CONFLICT ({key}{slot_column}) DO UPDATE SET n = t.n + EXCLUDED.n;"
        )

    def tally(row: str, delta: int) -> str:
        return upsert("submission_tally", KEY, f"VALUES ({_key(row)}{slot_value}, {delta})")

    def flags_of(row: str, delta: int) -> str:
        codes = f"(SELECT DISTINCT code FROM quality_flag WHERE submission_version_id = {row}.current_version_id) q"
        return upsert("flag_tally", FLAG_KEY, f"SELECT {_key(row)}, q.code{slot_value}, {delta} FROM {codes}")

    out = [
        f"""
        CREATE OR REPLACE FUNCTION submission_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
                {tally("OLD", -1)}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
                {tally("NEW", 1)}
            END IF;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION flag_tally_submission() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL AND OLD.current_version_id IS NOT NULL THEN
                {flags_of("OLD", -1)}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL AND NEW.current_version_id IS NOT NULL THEN
                {flags_of("NEW", 1)}
            END IF;
            RETURN NULL;
        END $$
        """,
    ]
    added = "SELECT submission_version_id AS v, code, 1 AS added, 0 AS removed FROM new_flags"
    removed = "SELECT submission_version_id AS v, code, 0 AS added, 1 AS removed FROM old_flags"
    for event, changes in (
        ("insert", added),
        ("delete", removed),
        ("update", f"{added} UNION ALL {removed}"),
    ):
        moved = f"""
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
            )"""
        select = (
            f"SELECT {_key('s')}, m.code{slot_value}, sum(m.delta) "
            "FROM moved m JOIN submission s ON s.current_version_id = m.v AND s.deleted_at IS NULL "
            f"WHERE m.delta <> 0 GROUP BY {_key('s')}, m.code"
        )
        out.append(
            f"""
            CREATE OR REPLACE FUNCTION flag_tally_flags_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {moved}
                {upsert("flag_tally", FLAG_KEY, select)}
                RETURN NULL;
            END $$
            """
        )
    return out


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite(with_slot=True)
        return
    for table, key in (("submission_tally", KEY), ("flag_tally", FLAG_KEY)):
        op.add_column(table, sa.Column("slot", sa.SmallInteger(), nullable=False, server_default="0"))
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, [*key.split(", "), "slot"])
    for function in _functions(slotted=True):
        op.execute(function)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite(with_slot=False)
        return
    for function in _functions(slotted=False):
        op.execute(function)
    for table, key in (("submission_tally", KEY), ("flag_tally", FLAG_KEY)):
        op.execute(
            f"WITH old AS (DELETE FROM {table} RETURNING *) "
            f"INSERT INTO {table} ({key}, slot, n) SELECT {key}, 0, sum(n) FROM old GROUP BY {key}"
        )
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.drop_column(table, "slot")
        op.create_primary_key(f"pk_{table}", table, key.split(", "))


def _rebuild_sqlite(with_slot: bool) -> None:
    """SQLite cannot change a primary key in place: each table is kept aside, dropped and made again
    (the triggers on `submission` and `quality_flag` name the tables, so they keep working; every
    row is slot 0 there)."""
    for table, key in (("submission_tally", KEY), ("flag_tally", FLAG_KEY)):
        columns: list[sa.schema.SchemaItem] = [
            sa.Column("form_id", sa.Integer(), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("submitter_id", sa.Integer(), nullable=False),
            sa.Column("province_code", sa.String(length=2), nullable=False),
            sa.Column("district_code", sa.String(length=4), nullable=False),
            sa.Column("subdistrict_code", sa.String(length=6), nullable=False),
            sa.Column("village_code", sa.String(length=64), nullable=False),
            sa.Column("review_state", sa.String(length=16), nullable=False),
        ]
        if table == "flag_tally":
            columns.append(sa.Column("code", sa.String(length=64), nullable=False))
        primary = key.split(", ")
        if with_slot:
            columns.append(sa.Column("slot", sa.SmallInteger(), nullable=False, server_default="0"))
            primary.append("slot")
        columns.append(sa.Column("n", sa.Integer(), nullable=False))
        op.execute(f"CREATE TEMP TABLE {table}_keep AS SELECT {key}, sum(n) AS n FROM {table} GROUP BY {key}")
        op.drop_table(table)  # not renamed: SQLite would rewrite the triggers to follow the old name
        op.create_table(table, *columns, sa.PrimaryKeyConstraint(*primary, name=op.f(f"pk_{table}")))
        op.execute(f"INSERT INTO {table} ({key}, n) SELECT {key}, n FROM {table}_keep")
        op.execute(f"DROP TABLE {table}_keep")

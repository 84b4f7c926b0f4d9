"""waiting: a partial index of the submission versions waiting to be processed, in id order

Revision ID: 0016_waiting
Revises: 0015_tallyslots

The worker claims the oldest waiting versions (`ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED`). With
only (processing_state, received_at) to go by, PostgreSQL walked the primary key from the first
version and filtered, so every claim read past all the versions processed before: measured in a
32-client soak without a VACUUM, the worker fell from keeping pace to ≈ 100 versions/s and the
backlog grew by ≈ 170 a second. This index holds only the waiting versions, in the claim's order
(the claim also turns bitmap scans off for itself: see batches.claim_batch).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_waiting"
down_revision = "0015_tallyslots"
branch_labels = None
depends_on = None

WAITING = sa.text("processing_state IN ('received', 'failed')")


def upgrade() -> None:
    op.create_index(
        "ix_submission_version_waiting",
        "submission_version",
        ["id"],
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every version is written three times (intake, claim, result): vacuum and analyze this
        # table after 2 % of it changed, not PostgreSQL's default 20 % / 10 %, so the waiting index
        # loses its dead entries and the planner its stale counts while the table is still small.
        op.execute(
            "ALTER TABLE submission_version SET (autovacuum_vacuum_scale_factor = 0.02, "
            "autovacuum_analyze_scale_factor = 0.02)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE submission_version RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"
        )
    op.drop_index("ix_submission_version_waiting", table_name="submission_version")

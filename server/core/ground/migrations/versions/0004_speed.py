"""speed: raw XML in the submission row, batch-claim lease columns, cache epoch

Revision ID: 0004_speed
Revises: 0003_web
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0004_speed"
down_revision = "0003_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xml", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("claimed_until", server.core.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
    epoch = op.create_table(
        "cache_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_epoch")),
    )
    op.bulk_insert(epoch, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("cache_epoch")
    with op.batch_alter_table("submission_version", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("xml")

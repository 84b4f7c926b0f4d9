"""digest nonce counts (replay protection)

Revision ID: 0006_reliability
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0006_reliability"
down_revision = "0004_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_nonce",
        sa.Column("nonce", sa.String(length=80), nullable=False),
        sa.Column("last_nc", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_digest_nonce")),
    )
    op.create_index(op.f("ix_digest_nonce_expires_at"), "digest_nonce", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_digest_nonce_expires_at"), table_name="digest_nonce")
    op.drop_table("digest_nonce")

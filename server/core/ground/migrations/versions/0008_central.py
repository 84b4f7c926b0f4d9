"""central: form drafts (ODK Central's draft stage), project updated/deleted times

Revision ID: 0008_central
Revises: 0005_exports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.core.models.base import UTCDateTime

revision = "0008_central"
down_revision = "0005_exports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("draft_version", sa.String(length=255), nullable=True))
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("form_version", schema=None) as batch_op:
        batch_op.drop_column("draft_version")
        batch_op.drop_column("draft_token")

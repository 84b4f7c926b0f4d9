"""central: form delete/restore (deleted_at) and draft test submissions (a form's hidden test twin)

Revision ID: 0012_central
Revises: 0011_reports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.core.models.base import UTCDateTime

revision = "0012_central"
down_revision = "0011_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("draft_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_form_draft_of_id_form", "form", ["draft_of_id"], ["id"])
        batch_op.create_index("ix_form_draft_of_id", ["draft_of_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form", schema=None) as batch_op:
        batch_op.drop_index("ix_form_draft_of_id")
        batch_op.drop_constraint("fk_form_draft_of_id_form", type_="foreignkey")
        batch_op.drop_column("draft_of_id")
        batch_op.drop_column("deleted_at")

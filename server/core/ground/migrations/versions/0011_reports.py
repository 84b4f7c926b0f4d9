"""reports: each submission's results under its form's indicator rules

Revision ID: 0011_reports
Revises: 0005_exports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.core.models.base

revision = "0011_reports"
down_revision = "0007_entities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_result",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("submission_version_id", sa.Integer(), nullable=False),
        sa.Column("rules_sha", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("outcomes", sa.String(length=255), nullable=False),
        sa.Column("income_per_person", sa.Float(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column(
            "measures",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["form_id"], ["form.id"], name=op.f("fk_report_result_form_id_form")),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_report_result_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_report_result")),
    )
    op.create_index("ix_report_result_form_period", "report_result", ["form_id", "period"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_report_result_form_period", table_name="report_result")
    op.drop_table("report_result")

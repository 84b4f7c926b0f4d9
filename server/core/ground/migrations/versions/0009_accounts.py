"""accounts: app users (field keys), form assignments, webhooks and their delivery outbox

Revision ID: 0009_accounts
Revises: 0005_exports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.core.models.base

revision = "0009_accounts"
down_revision = "0008_central"
branch_labels = None
depends_on = None

_TIME = server.core.models.base.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "field_key",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_field_key_created_by_id_user")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_field_key_project_id_project")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_field_key_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_field_key")),
    )
    op.create_index(op.f("ix_field_key_project_id"), "field_key", ["project_id"], unique=False)
    op.create_table(
        "form_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"], ["form.id"], name=op.f("fk_form_assignment_form_id_form"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_form_assignment_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_assignment")),
        sa.UniqueConstraint("user_id", "form_id", name=op.f("uq_form_assignment_user_id_form_id")),
    )
    op.create_index(op.f("ix_form_assignment_form_id"), "form_assignment", ["form_id"], unique=False)
    op.create_index(op.f("ix_form_assignment_user_id"), "form_assignment", ["user_id"], unique=False)
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("events", _JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_webhook_created_by_id_user")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_webhook_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_index(op.f("ix_webhook_project_id"), "webhook", ["project_id"], unique=False)
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("log", _JSON, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhook.id"], name=op.f("fk_webhook_delivery_webhook_id_webhook"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index("ix_webhook_delivery_state_next", "webhook_delivery", ["state", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_webhook_delivery_webhook_id"), "webhook_delivery", ["webhook_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_delivery_webhook_id"), table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_state_next", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index(op.f("ix_webhook_project_id"), table_name="webhook")
    op.drop_table("webhook")
    op.drop_index(op.f("ix_form_assignment_user_id"), table_name="form_assignment")
    op.drop_index(op.f("ix_form_assignment_form_id"), table_name="form_assignment")
    op.drop_table("form_assignment")
    op.drop_index(op.f("ix_field_key_project_id"), table_name="field_key")
    op.drop_table("field_key")

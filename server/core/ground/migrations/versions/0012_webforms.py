"""webforms: public links to fill one form in the browser, and their rate-limit counts

Revision ID: 0012_webforms
Revises: 0012_central
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0012_webforms"
down_revision = "0012_central"
branch_labels = None
depends_on = None

_TIME = server.core.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "public_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("once", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_public_link_actor_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"], name=op.f("fk_public_link_created_by_id_user")),
        sa.ForeignKeyConstraint(
            ["form_id"], ["form.id"], name=op.f("fk_public_link_form_id_form"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_link")),
        sa.UniqueConstraint("actor_id", name=op.f("uq_public_link_actor_id")),
        sa.UniqueConstraint("token", name=op.f("uq_public_link_token")),
    )
    op.create_index(op.f("ix_public_link_form_id"), "public_link", ["form_id"], unique=False)
    op.create_table(
        "public_link_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["public_link.id"], name=op.f("fk_public_link_hit_link_id_public_link"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_link_hit")),
    )
    op.create_index("ix_public_link_hit_link_id_at", "public_link_hit", ["link_id", "at"], unique=False)
    op.create_index(
        "ix_public_link_hit_link_id_address_at", "public_link_hit", ["link_id", "address", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_public_link_hit_link_id_address_at", table_name="public_link_hit")
    op.drop_index("ix_public_link_hit_link_id_at", table_name="public_link_hit")
    op.drop_table("public_link_hit")
    op.drop_index(op.f("ix_public_link_form_id"), table_name="public_link")
    op.drop_table("public_link")

"""csvcells: CSV cells rendered at processing (record.csv_layout, record.csv_cells, repeat_row.csv_line)

Revision ID: 0014_csvcells
Revises: 0013_flags

Derived text, like the rows it sits on: NULL on rows processed before this revision (an export
renders those from their values; `chumchon exports prerender` fills them in).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_csvcells"
down_revision = "0013_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record") as batch:
        batch.add_column(sa.Column("csv_layout", sa.String(16), nullable=True))
        batch.add_column(sa.Column("csv_cells", sa.Text(), nullable=True))
    with op.batch_alter_table("repeat_row") as batch:
        batch.add_column(sa.Column("csv_line", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("repeat_row") as batch:
        batch.drop_column("csv_line")
    with op.batch_alter_table("record") as batch:
        batch.drop_column("csv_cells")
        batch.drop_column("csv_layout")

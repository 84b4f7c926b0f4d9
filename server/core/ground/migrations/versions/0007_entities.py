"""entities: entity lists, properties, entities, versions, submission links

Revision ID: 0007_entities
Revises: 0005_exports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.core.models.base

revision = '0007_entities'
down_revision = '0009_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('entity_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('approval_required', sa.Boolean(), nullable=False),
    sa.Column('list_version', sa.Integer(), nullable=False),
    sa.Column('created_at', server.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_entity_list_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_list')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_entity_list_project_id_name'))
    )
    with op.batch_alter_table('entity_list', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entity_list_project_id'), ['project_id'], unique=False)

    op.create_table('entity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_list_id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('conflict', sa.String(length=8), nullable=True),
    sa.Column('creator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', server.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', server.core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['creator_id'], ['user.id'], name=op.f('fk_entity_creator_id_user')),
    sa.ForeignKeyConstraint(['entity_list_id'], ['entity_list.id'], name=op.f('fk_entity_entity_list_id_entity_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity')),
    sa.UniqueConstraint('entity_list_id', 'uuid', name=op.f('uq_entity_entity_list_id_uuid'))
    )
    with op.batch_alter_table('entity', schema=None) as batch_op:
        batch_op.create_index('ix_entity_list_live', ['entity_list_id', 'deleted_at', 'id'], unique=False)

    op.create_table('entity_list_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_list_id', sa.Integer(), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('actions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['entity_list_id'], ['entity_list.id'], name=op.f('fk_entity_list_form_entity_list_id_entity_list')),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_version.id'], name=op.f('fk_entity_list_form_form_version_id_form_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_list_form')),
    sa.UniqueConstraint('entity_list_id', 'form_version_id', name=op.f('uq_entity_list_form_entity_list_id_form_version_id'))
    )
    with op.batch_alter_table('entity_list_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entity_list_form_form_version_id'), ['form_version_id'], unique=False)

    op.create_table('entity_property',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_list_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', server.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entity_list_id'], ['entity_list.id'], name=op.f('fk_entity_property_entity_list_id_entity_list')),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_version.id'], name=op.f('fk_entity_property_form_version_id_form_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_property')),
    sa.UniqueConstraint('entity_list_id', 'name', name=op.f('uq_entity_property_entity_list_id_name'))
    )
    op.create_table('entity_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('data_received', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=True),
    sa.Column('submission_version_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('trunk_version', sa.Integer(), nullable=True),
    sa.Column('branch_id', sa.String(length=36), nullable=True),
    sa.Column('branch_base_version', sa.Integer(), nullable=True),
    sa.Column('conflict', sa.String(length=8), nullable=True),
    sa.Column('conflicting_properties', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('creator_id', sa.Integer(), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.Column('created_at', server.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['creator_id'], ['user.id'], name=op.f('fk_entity_version_creator_id_user')),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], name=op.f('fk_entity_version_entity_id_entity')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_entity_version_submission_id_submission')),
    sa.ForeignKeyConstraint(['submission_version_id'], ['submission_version.id'], name=op.f('fk_entity_version_submission_version_id_submission_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_version')),
    sa.UniqueConstraint('entity_id', 'version', name=op.f('uq_entity_version_entity_id_version'))
    )
    with op.batch_alter_table('entity_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entity_version_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entity_version_submission_id'), ['submission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entity_version_submission_version_id'), ['submission_version_id'], unique=False)

    op.create_table('entity_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_version_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('entity_list_name', sa.String(length=255), nullable=True),
    sa.Column('entity_uuid', sa.String(length=36), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('entity_version_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('block', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', server.core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entity_version_id'], ['entity_version.id'], name=op.f('fk_entity_submission_entity_version_id_entity_version')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_entity_submission_submission_id_submission')),
    sa.ForeignKeyConstraint(['submission_version_id'], ['submission_version.id'], name=op.f('fk_entity_submission_submission_version_id_submission_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_submission')),
    sa.UniqueConstraint('submission_version_id', 'ordinal', name=op.f('uq_entity_submission_submission_version_id_ordinal'))
    )
    with op.batch_alter_table('entity_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entity_submission_entity_uuid'), ['entity_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_entity_submission_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('entity_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entity_submission_submission_id'))
        batch_op.drop_index(batch_op.f('ix_entity_submission_entity_uuid'))

    op.drop_table('entity_submission')
    with op.batch_alter_table('entity_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entity_version_submission_version_id'))
        batch_op.drop_index(batch_op.f('ix_entity_version_submission_id'))
        batch_op.drop_index(batch_op.f('ix_entity_version_entity_id'))

    op.drop_table('entity_version')
    op.drop_table('entity_property')
    with op.batch_alter_table('entity_list_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entity_list_form_form_version_id'))

    op.drop_table('entity_list_form')
    with op.batch_alter_table('entity', schema=None) as batch_op:
        batch_op.drop_index('ix_entity_list_live')

    op.drop_table('entity')
    with op.batch_alter_table('entity_list', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entity_list_project_id'))

    op.drop_table('entity_list')

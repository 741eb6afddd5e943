"""the weekly meeting's stored snapshots (schema version 4)

`meeting_snapshots` holds the figures a 周例会 presented, written by
`python -m data_access.admin snapshot`; the cockpit only reads it.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'meeting_snapshots',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False, comment='snapshot id'),
        sa.Column('week', sa.Date(), nullable=False,
                  comment="the Monday of the meeting's week"),
        sa.Column('town_code', sa.String(length=12), nullable=True,
                  comment='the town the meeting looked at; NULL: the whole district'),
        sa.Column('cutoff', sa.DateTime(), nullable=False,
                  comment='the cut-off the figures were judged at (events at or after it '
                          'ignored)'),
        sa.Column('stored_at', sa.DateTime(), nullable=False,
                  comment='when the admin tool stored the snapshot'),
        sa.Column('figures', sa.Text(), nullable=False,
                  comment="the meeting's figures as JSON (data_access/meeting.py figures_of)"),
        sa.PrimaryKeyConstraint('id'),
        comment='周例会 snapshots, written by the admin tool only: the figures a weekly meeting '
                'presented, so that its view reopens with them after late data arrives',
    )
    op.create_index('ix_meeting_snapshots_view', 'meeting_snapshots', ['week', 'cutoff'])
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='4'))


def downgrade() -> None:
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='3'))
    op.drop_index('ix_meeting_snapshots_view', table_name='meeting_snapshots')
    op.drop_table('meeting_snapshots')

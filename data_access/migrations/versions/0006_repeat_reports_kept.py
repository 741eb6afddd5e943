"""each ticket's first repeat report kept in ticket_states and counted in ticket_rollup
(schema version 6)

`ticket_states.repeat_reported_at` and `ticket_rollup.repeat_reported` are derived: the
upgrade forgets the last refresh (the cockpit computes from the events until then), and the
next `python -m data_access.admin refresh` rebuilds both tables in full.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MARKS = ['summaries_event_id', 'rollup_event_id']


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('ticket_states') as batch:
        batch.add_column(sa.Column(
            'repeat_reported_at', sa.DateTime(),
            comment='report time of the first other ticket of the same grid cell and category '
                    'within 30 days after resolved_at (办结后重复反映); NULL: none'))
    with op.batch_alter_table('ticket_rollup') as batch:
        batch.add_column(sa.Column('repeat_reported', sa.Integer(), nullable=False,
                                   server_default='0',
                                   comment='tickets counted in the figure repeat_reported'))
    op.create_index('ix_ticket_states_cell_category_resolved', 'ticket_states',
                    ['grid_cell_code', 'category', 'resolved_at'])
    op.create_index('ix_ticket_states_repeat', 'ticket_states', ['repeat_reported_at'])
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key.in_(MARKS)))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='6'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='5'))
    op.execute(meta.delete().where(meta.c.key.in_(MARKS)))
    op.drop_index('ix_ticket_states_repeat', table_name='ticket_states')
    op.drop_index('ix_ticket_states_cell_category_resolved', table_name='ticket_states')
    with op.batch_alter_table('ticket_rollup') as batch:
        batch.drop_column('repeat_reported')
    with op.batch_alter_table('ticket_states') as batch:
        batch.drop_column('repeat_reported_at')

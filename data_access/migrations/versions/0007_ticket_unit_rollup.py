"""ticket counts per month by grid cell, department and 专班 (ticket_unit_rollup, schema
version 7); the tickets raised in visits found from an index alone

`ticket_unit_rollup` is derived: the upgrade forgets the last refresh (the cockpit computes
from the events until then), and the next `python -m data_access.admin refresh` fills it
with the other derived tables.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MARKS = ['summaries_event_id', 'rollup_event_id']
COUNTS = ['collected', 'resolved', 'dispatched', 'accepted', 'signed_off', 'evaluated',
          'on_time', 'ever_resolved', 'reopened', 'supervised', 'coordinated', 'bounced',
          'fast_closed', 'signed_off_unscored', 'repeat_reported', 'resolved_in_period',
          'evaluations', 'satisfied', 'open']


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    op.create_table(
        'ticket_unit_rollup',
        sa.Column('unit_kind', sa.String(length=16), nullable=False,
                  comment='the ticket column counted by: grid_cell_code | department | '
                          'task_force'),
        sa.Column('basis', sa.String(length=10), nullable=False,
                  comment='the day counted: reported | resolved | evaluated | due'),
        sa.Column('day', sa.Date(), nullable=False,
                  comment='the first day of the calendar month counted'),
        sa.Column('town_code', sa.String(length=12), nullable=False, comment='tickets.town_code'),
        sa.Column('unit', sa.String(length=40), nullable=False,
                  comment="the value of that column; '' for tickets without one"),
        *(sa.Column(code, sa.Integer(), nullable=False,
                    comment=f'tickets counted in the figure {code}') for code in COUNTS),
        sa.PrimaryKeyConstraint('unit_kind', 'basis', 'day', 'town_code', 'unit'),
        comment='derived (summaries.py, written by the admin tool only): ticket_states counted '
                'per month of a basis time, town and grid cell, department or 专班, as '
                'ticket_rollup',
    )
    op.drop_index('ix_tickets_visit', table_name='tickets')
    op.create_index('ix_tickets_visit_ticket', 'tickets', ['visit_id', 'id'])
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key.in_(MARKS)))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='7'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='6'))
    op.execute(meta.delete().where(meta.c.key.in_(MARKS)))
    op.drop_index('ix_tickets_visit_ticket', table_name='tickets')
    op.create_index('ix_tickets_visit', 'tickets', ['visit_id'])
    op.drop_table('ticket_unit_rollup')

"""ticket counts per day and month (ticket_rollup) and the indexes that refresh it (schema version 5)

`ticket_rollup` is derived: `python -m data_access.admin refresh` fills it (the upgrade leaves
it empty, and the cockpit reads ticket_states until then).

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COUNTS = ["collected", "resolved", "dispatched", "accepted", "signed_off", "evaluated",
          "on_time", "ever_resolved", "reopened", "supervised", "coordinated", "bounced",
          "fast_closed", "signed_off_unscored", "resolved_in_period", "evaluations",
          "satisfied", "open"]


def upgrade() -> None:
    op.create_table(
        'ticket_rollup',
        sa.Column('grain', sa.String(length=1), nullable=False,
                  comment='D: one day; M: the calendar month starting on `day`'),
        sa.Column('basis', sa.String(length=10), nullable=False,
                  comment='the day counted: reported | resolved | evaluated | due'),
        sa.Column('day', sa.Date(), nullable=False,
                  comment="the day (grain D) or the month's first day (grain M)"),
        sa.Column('town_code', sa.String(length=12), nullable=False, comment='tickets.town_code'),
        sa.Column('category', sa.String(length=30), nullable=False, comment='tickets.category'),
        sa.Column('source', sa.String(length=32), nullable=False, comment='tickets.source'),
        *(sa.Column(code, sa.Integer(), nullable=False,
                    comment=f'tickets counted in the figure {code}') for code in COUNTS),
        sa.PrimaryKeyConstraint('grain', 'basis', 'day', 'town_code', 'category', 'source'),
        comment='derived (summaries.py, written by the admin tool only): ticket_states counted '
                'per day or month of a basis time, town, category and source; exact for as_of '
                'after the tickets\' last events, corrected for the others by figures.py',
    )
    op.create_index('ix_ticket_states_resolved', 'ticket_states', ['resolved_at'])
    op.create_index('ix_ticket_states_evaluated', 'ticket_states', ['evaluated_at'])
    op.create_index('ix_ticket_states_due', 'ticket_states', ['due_at'])
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='5'))


def downgrade() -> None:
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='4'))
    op.execute(meta.delete().where(meta.c.key == 'rollup_event_id'))
    op.drop_index('ix_ticket_states_due', table_name='ticket_states')
    op.drop_index('ix_ticket_states_evaluated', table_name='ticket_states')
    op.drop_index('ix_ticket_states_resolved', table_name='ticket_states')
    op.drop_table('ticket_rollup')

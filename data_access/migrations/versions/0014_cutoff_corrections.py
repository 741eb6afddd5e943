"""the rollup's correction kept at the weekly meetings' cut-offs (cutoff_corrections, schema
version 14); the open ticket states in order of their due times

`ix_ticket_states_open_due` finds the longest overdue at a cut-off in a few rows.

`cutoff_corrections` is derived: the upgrade creates it empty, and the next refresh (every
refresh) fills it for the cut-offs of the last two weekly meetings. Until then the figures
at those cut-offs are corrected as before, from the events.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

KEPT = ['collected', 'resolved', 'dispatched', 'accepted', 'signed_off', 'evaluated',
        'on_time', 'ever_resolved', 'reopened', 'supervised', 'coordinated', 'bounced',
        'fast_closed', 'signed_off_unscored', 'repeat_reported', 'resolved_in_period',
        'evaluations', 'satisfied', 'open', 'overdue']
OPEN = ('ticket_id IS NULL OR NOT (resolved_at IS NOT NULL AND '
        '(reopened_at IS NULL OR reopened_at < resolved_at))')  # schema.OPEN_STATE
CHANGE = ('the change to the figure {}: the tickets touched at or after as_of, as '
          'ticket_rollup counts them taken off, as they stood at as_of added')


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    op.create_table(
        'cutoff_corrections',
        sa.Column('as_of', sa.DateTime(), nullable=False,
                  comment="the cut-off (a weekly meeting's) the row corrects the rollup at"),
        sa.Column('basis', sa.String(length=10), nullable=False,
                  comment='the day counted: reported | resolved | evaluated | due'),
        sa.Column('day', sa.Date(), nullable=False,
                  comment='the day of the basis time (of the stored state, or of the state '
                          'at as_of)'),
        sa.Column('town_code', sa.String(length=12), nullable=False, comment='tickets.town_code'),
        sa.Column('category', sa.String(length=30), nullable=False, comment='tickets.category'),
        sa.Column('source', sa.String(length=32), nullable=False, comment='tickets.source'),
        *(sa.Column(code, sa.Integer(), nullable=False, comment=CHANGE.format(code) + (
            ' (exact, on the due rows; summed over every day)' if code == 'overdue' else ''))
          for code in KEPT),
        sa.PrimaryKeyConstraint('as_of', 'basis', 'day', 'town_code', 'category', 'source'),
        comment="derived (summaries.py, written by the admin tool only): ticket_rollup's exact "
                "correction at the last weekly meetings' cut-offs (cockpit_meta "
                "corrections_kept_at), rebuilt by each refresh; read while no ticket or event "
                "was written since",
    )
    op.create_index('ix_ticket_states_open_due', 'ticket_states', ['due_at'],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='14'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='13'))
    op.execute(meta.delete().where(meta.c.key == 'corrections_kept_at'))
    op.drop_table('cutoff_corrections')
    op.drop_index('ix_ticket_states_open_due', table_name='ticket_states')

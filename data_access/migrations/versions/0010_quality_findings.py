"""the data-quality findings of tickets and ticket_events kept per ticket, and of visits
for the whole table (quality_findings, schema version 10); visit_rollup also by diary type,
with the complete records; an index of the tickets' departments; the neighbours' index
carrying the first repeat and the ticket id

`quality_findings` is derived: the next `python -m data_access.admin refresh` builds it (from
every ticket, once) and keeps it with the tickets it rewrites and the visits it recounts. It
is read only while cockpit_meta's `quality_findings_mark` is the refresh's mark and no
ticket or event was written since (for visits: and no visit or target); until then 数据质量
scans the tables as before. visit_rollup is made again with the diary type in its key and
the complete records counted (the diary mix of 走访覆盖 reads it); the upgrade forgets it,
so the cockpit counts the visits themselves until that refresh. The departments' picker
walks ix_tickets_department, one probe per department.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

KEYS = ['quality_findings_mark', 'quality_findings_after']
VISITS_CURRENT = 'visit_rollup_current'


def _neighbours_index(columns: list[str]) -> None:
    """The index of the stored tickets near a report (repeat reports): version 10 carries
    the first repeat and the id in it, so the refresh reads no row to find them."""
    op.drop_index('ix_ticket_states_cell_category_resolved', table_name='ticket_states')
    op.create_index('ix_ticket_states_cell_category_resolved', 'ticket_states', columns)


def _visit_rollup(by_diary: bool) -> None:
    """visit_rollup as version 9 had it, or with the diary type and complete records."""
    op.create_table(
        'visit_rollup',
        sa.Column('grain', sa.String(length=1), nullable=False,
                  comment='D: one day | M: one calendar month'),
        sa.Column('day', sa.Date(), nullable=False,
                  comment='the day, or the first day of the month'),
        sa.Column('town_code', sa.String(length=12), nullable=False,
                  comment="targets.town_code of the visited target ('' for none)"),
        *([sa.Column('diary_type', sa.String(length=32), nullable=False,
                     comment="visits.diary_type ('' for none)")] if by_diary else []),
        sa.Column('visits', sa.Integer(), nullable=False,
                  comment='visits made (visits joined to their target)'),
        *([sa.Column('complete', sa.Integer(), nullable=False,
                     comment='of them, with a complete 三带走三留下 record')] if by_diary else []),
        sa.PrimaryKeyConstraint('grain', 'day', 'town_code', *(['diary_type'] if by_diary
                                                               else [])),
        comment=('derived (summaries.py, written by the admin tool only): visits counted per '
                 'day and month of visited_at, the target\'s town and the diary type; current '
                 'while cockpit_meta holds visit_rollup_current') if by_diary else (
            'derived (summaries.py, written by the admin tool only): visits counted per day '
            "and month of visited_at and the target's town; current while cockpit_meta "
            'holds visit_rollup_current'),
    )


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    op.create_table(
        'quality_findings',
        sa.Column('table_name', sa.String(length=40), nullable=False,
                  comment='the checked table: tickets, ticket_events or visits'),
        sa.Column('problem', sa.String(length=40), nullable=False,
                  comment='the kind of problem (data_quality.Check.problem)'),
        sa.Column('column_name', sa.String(length=80), nullable=False,
                  comment='the column(s) concerned (data_quality.Check.column)'),
        sa.Column('ticket_id', sa.String(), nullable=True,
                  comment='the ticket whose rows these are: tickets.id, ticket_events.ticket_id; '
                          'NULL for visits (the whole table)'),
        sa.Column('after', sa.DateTime(), nullable=True,
                  comment="for 时间晚于当前: the rows' time, later than the start of the "
                          "refresh's day (counted while it lies after now); else NULL"),
        sa.Column('found', sa.Integer(), nullable=False,
                  comment='rows of that ticket with the problem'),
        comment='derived (data_quality.py, written by the admin tool only): the rows of tickets, '
                'ticket_events and visits with a data-quality problem, counted per ticket '
                "(visits: for the whole table); current while cockpit_meta's "
                'quality_findings_mark is the refresh mark and that is complete (visits: and '
                'visit_rollup_current is there)',
    )
    op.create_index('ix_quality_findings_ticket', 'quality_findings', ['ticket_id'])
    op.create_index('ix_tickets_department', 'tickets', ['department'])
    _neighbours_index(['grid_cell_code', 'category', 'resolved_at', 'repeat_reported_at',
                       'ticket_id'])
    op.drop_table('visit_rollup')
    _visit_rollup(by_diary=True)
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key == VISITS_CURRENT))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='10'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='9'))
    op.execute(meta.delete().where(meta.c.key.in_([*KEYS, VISITS_CURRENT])))
    op.drop_table('visit_rollup')
    _visit_rollup(by_diary=False)
    op.drop_index('ix_quality_findings_ticket', table_name='quality_findings')
    op.drop_table('quality_findings')
    op.drop_index('ix_tickets_department', table_name='tickets')
    _neighbours_index(['grid_cell_code', 'category', 'resolved_at'])

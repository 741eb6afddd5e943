"""the data-quality findings of tickets and ticket_events kept per ticket, and of visits
for the whole table (quality_findings, schema version 10)

`quality_findings` is derived: the next `python -m data_access.admin refresh` builds it (from
every ticket, once) and keeps it with the tickets it rewrites and the visits it recounts. It
is read only while cockpit_meta's `quality_findings_mark` is the refresh's mark and no
ticket or event was written since (for visits: and no visit or target); until then 数据质量
scans the tables as before.

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
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='10'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='9'))
    op.execute(meta.delete().where(meta.c.key.in_(KEYS)))
    op.drop_index('ix_quality_findings_ticket', table_name='quality_findings')
    op.drop_table('quality_findings')

"""the district's day counted in ticket_rollup (grain W) and its months of spans in
span_rollup; the open ticket states' index carries their due time and town (schema version 18)

The rows of grain W are ticket_rollup's town rows (grain T) summed over the towns ('' for
town, category and source): the district's daily series (总览's and 问题流转's weekly flow,
over the campaign) reads one row a day instead of seventeen (at 2M: 1,794 rows a basis
instead of 30,500). span_rollup's rows with '' for the town are its town rows summed: 问题流转's
histogram of spans over the campaign reads about 5,500 rows instead of 93,405; the table is
rewritten in the order of its key (PostgreSQL: CLUSTER; SQLite: the rows copied out and back
in order), as a refresh writes it. Summed here from the town rows as they are; each refresh
keeps them.

问题流转's ages of the open stock read every open state at as_of (50,000 at 2M): their report
time, due time and, with a town chosen, town. `ix_ticket_states_open` held the report time
alone, so each state was read from the table besides; with the due time and town in the
index, PostgreSQL reads the index alone (an index-only scan).

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

COUNTS = ['collected', 'resolved', 'dispatched', 'accepted', 'signed_off', 'evaluated',
          'on_time', 'ever_resolved', 'reopened', 'supervised', 'coordinated', 'bounced',
          'fast_closed', 'signed_off_unscored', 'repeat_reported', 'resolved_in_period',
          'evaluations', 'satisfied', 'open']
KEY = ['grain', 'basis', 'day', 'town_code', 'category', 'source']
COMMENTS = {  # column → (type, comment at 17, comment at 18)
    'grain': (sa.String(length=1),
              "D: one day; M: the calendar month starting on `day`; T: one day, all categories "
              "and sources (the town's day: the D rows summed)",
              "D: one day; M: the calendar month starting on `day`; T: one day, all categories "
              "and sources (the town's day: the D rows summed); W: one day, the whole district "
              "(its day: the T rows summed)"),
    'day': (sa.Date(), "the day (grain D, T) or the month's first day (grain M)",
            "the day (grain D, T, W) or the month's first day (grain M)"),
    'town_code': (sa.String(length=12), 'tickets.town_code', "tickets.town_code ('' in grain W)"),
    'category': (sa.String(length=30), "tickets.category ('' in grain T)",
                 "tickets.category ('' in grain T, W)"),
    'source': (sa.String(length=32), "tickets.source ('' in grain T)",
               "tickets.source ('' in grain T, W)"),
}
SPAN_TOWN = ('tickets.town_code',
             "tickets.town_code ('': the whole district, the towns summed)")
SPAN_TABLE = ("derived (summaries.py, written by the admin tool only): the spans of "
              "ticket_states from each step of the closed loop to the next, counted per month "
              "of report, town{}, step and bucket of duration (问题流转's medians); kept with "
              "ticket_rollup")
SPAN_KEY = ['day', 'town_code', 'stage', 'bucket']
TABLE_COMMENT = (
    "derived (summaries.py, written by the admin tool only): ticket_states counted per day or "
    "month of a basis time, town, category and source, and per day and town{}; exact for "
    "as_of after the tickets' last events, corrected for the others by figures.py")
OPEN = ('ticket_id IS NULL OR NOT (resolved_at IS NOT NULL AND '
        '(reopened_at IS NULL OR reopened_at < resolved_at))')  # schema.OPEN_STATE


def _rollup():
    return sa.table('ticket_rollup', *(sa.column(name) for name in KEY + COUNTS))


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def _comments(version: int) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite keeps no comments
        return
    for name, (kind, before, after) in COMMENTS.items():
        op.alter_column('ticket_rollup', name, existing_type=kind, existing_nullable=False,
                        comment=after if version == 18 else before,
                        existing_comment=before if version == 18 else after)
    op.create_table_comment('ticket_rollup', TABLE_COMMENT.format(
        ', and per day' if version == 18 else ''))
    before, after = SPAN_TOWN if version == 18 else SPAN_TOWN[::-1]
    op.alter_column('span_rollup', 'town_code', existing_type=sa.String(length=12),
                    existing_nullable=False, comment=after, existing_comment=before)
    op.create_table_comment('span_rollup', SPAN_TABLE.format(
        ' (and the district)' if version == 18 else ''))


def _spans_in_key_order() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CLUSTER span_rollup USING span_rollup_pkey')
        op.execute('ANALYZE span_rollup')
        return
    order = ', '.join(SPAN_KEY)
    op.execute(f'CREATE TEMPORARY TABLE sorted_rows AS SELECT * FROM span_rollup ORDER BY {order}')
    op.execute('DELETE FROM span_rollup')
    op.execute(f'INSERT INTO span_rollup SELECT * FROM sorted_rows ORDER BY {order}')
    op.execute('DROP TABLE sorted_rows')


def _open_index(columns) -> None:
    op.drop_index('ix_ticket_states_open', table_name='ticket_states')
    op.create_index('ix_ticket_states_open', 'ticket_states', columns,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def upgrade() -> None:
    rollup = _rollup()
    r = rollup.c
    op.execute(rollup.insert().from_select(KEY + COUNTS, sa.select(
        sa.literal('W'), r.basis, r.day, sa.literal(''), sa.literal(''), sa.literal(''),
        *(sa.func.sum(r[name]) for name in COUNTS))
        .where(r.grain == 'T').group_by(r.basis, r.day)
        .order_by(r.basis, r.day)))  # in the key's order, as a refresh writes them
    spans = sa.table('span_rollup', *(sa.column(name) for name in SPAN_KEY + ['tickets']))
    p = spans.c
    op.execute(spans.insert().from_select(SPAN_KEY + ['tickets'], sa.select(
        p.day, sa.literal(''), p.stage, p.bucket, sa.func.sum(p.tickets))
        .where(p.town_code != '').group_by(p.day, p.stage, p.bucket)))
    _spans_in_key_order()
    _comments(18)
    _open_index(['reported_at', 'due_at', 'town_code'])
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='18'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='17'))
    rollup = _rollup()
    op.execute(rollup.delete().where(rollup.c.grain == 'W'))
    spans = sa.table('span_rollup', sa.column('town_code'))
    op.execute(spans.delete().where(spans.c.town_code == ''))
    _comments(17)
    _open_index(['reported_at'])

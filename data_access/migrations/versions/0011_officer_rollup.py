"""each officer's visits, problems and tickets raised counted per day and month
(officer_rollup, schema version 11), the visit of each stored ticket (ticket_visits), an
index of each officer's visits by time, and the spans of the closed loop's steps counted per
bucket of duration (span_rollup)

`officer_rollup` is derived: the next `python -m data_access.admin refresh` builds it (the
upgrade forgets visit_rollup, which is rebuilt with it) and keeps it with the tickets it
rewrites. Until then 走访覆盖 counts each officer's visits and tickets from the tables.
`ticket_visits` is filled here from the tickets; the refresh keeps it with the states.
`span_rollup` is derived too: counted here from the stored states, then kept with the other
ticket rollups by each refresh. A `refresh --full` afterwards stores the states in the order
of their reports, which makes the reads of a range of report times far cheaper.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

VISITS_CURRENT = 'visit_rollup_current'
STEPS = ['dispatched', 'accepted', 'resolved', 'signed_off', 'evaluated']
HOUR = 3600
SPAN_BOUNDS = [60, 300, 900, 1800, *(h * HOUR for h in (
    1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 30, 36, 42, 48, 60, 72, 84, 96, 120, 144, 168, 192,
    240, 288, 336, 408, 504, 600, 720, 960, 1200, 1440, 2160, 2880, 4320, 8760))]


def _fill_span_rollup() -> None:
    """span_rollup counted from the stored states as they are (kept with the other ticket
    rollups from here on): each step's spans per month of report, town and bucket."""
    states = sa.table('ticket_states', sa.column('reported_at', sa.DateTime),
                      sa.column('town_code', sa.String),
                      *(sa.column(f'seconds_to_{step}', sa.BigInteger) for step in STEPS))
    rollup = sa.table('span_rollup', sa.column('day'), sa.column('town_code'),
                      sa.column('stage'), sa.column('bucket'), sa.column('tickets'))
    if op.get_bind().dialect.name == 'sqlite':
        month = sa.func.date(states.c.reported_at, 'start of month')
    else:
        month = sa.cast(sa.func.date_trunc('month', states.c.reported_at), sa.Date)
    for step in STEPS:
        span = states.c[f'seconds_to_{step}']
        bucket = sa.case(*((span < bound, k) for k, bound in enumerate(SPAN_BOUNDS)),
                         else_=len(SPAN_BOUNDS))
        op.execute(rollup.insert().from_select(
            ['day', 'town_code', 'stage', 'bucket', 'tickets'],
            sa.select(month, states.c.town_code, sa.literal(step), bucket, sa.func.count())
            .where(span.is_not(None)).group_by(month, states.c.town_code, bucket)))


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    op.create_table(
        'ticket_visits',
        sa.Column('ticket_id', sa.String(length=14), nullable=False,
                  comment='a stored ticket raised in a visit'),
        sa.Column('visit_id', sa.String(length=14), nullable=False,
                  comment='tickets.visit_id, as the last refresh saw it'),
        sa.PrimaryKeyConstraint('ticket_id'),
        comment='derived (summaries.py, written by the admin tool only): the visit of each '
                'stored ticket raised in one, as officer_rollup counts it',
    )
    tickets = sa.table('tickets', sa.column('id', sa.String), sa.column('visit_id', sa.String))
    op.execute(sa.table('ticket_visits', sa.column('ticket_id'), sa.column('visit_id')).insert()
               .from_select(['ticket_id', 'visit_id'], sa.select(tickets.c.id, tickets.c.visit_id)
                            .where(tickets.c.visit_id.is_not(None))))
    op.create_table(
        'officer_rollup',
        sa.Column('grain', sa.String(length=1), nullable=False,
                  comment='D: one day | M: one calendar month'),
        sa.Column('day', sa.Date(), nullable=False,
                  comment='the day of the visits, or the first day of their month'),
        sa.Column('officer_id', sa.String(length=12), nullable=False,
                  comment='visits.officer_id'),
        sa.Column('town_code', sa.String(length=12), nullable=False,
                  comment="targets.town_code of the visited target ('' for none)"),
        sa.Column('target_group', sa.String(length=32), nullable=False,
                  comment="the visited target's group (schema.target_group)"),
        sa.Column('visits', sa.Integer(), nullable=False, comment='visits made'),
        sa.Column('problems', sa.Integer(), nullable=False,
                  comment='problems those visits raised (negative counts left out)'),
        sa.Column('tickets', sa.Integer(), nullable=False,
                  comment='tickets raised in those visits (ticket_visits)'),
        sa.Column('resolved', sa.Integer(), nullable=False,
                  comment='of them, resolved in their stored state'),
        sa.PrimaryKeyConstraint('grain', 'day', 'officer_id', 'town_code', 'target_group'),
        comment='derived (summaries.py, written by the admin tool only): the visits, their '
                'problems and the tickets raised in them per day and month of the visit, '
                "officer, the target's town and group; current while visit_rollup is and "
                "ticket_rollup's mark is the states' mark",
    )
    op.create_index('ix_visits_officer_time', 'visits', ['officer_id', 'visited_at'])
    op.create_table(
        'span_rollup',
        sa.Column('day', sa.Date(), nullable=False,
                  comment="the first day of the month of the tickets' report"),
        sa.Column('town_code', sa.String(length=12), nullable=False, comment='tickets.town_code'),
        sa.Column('stage', sa.String(length=16), nullable=False,
                  comment='the step reached: ticket_states.seconds_to_<stage>'),
        sa.Column('bucket', sa.Integer(), nullable=False,
                  comment='the bucket of the span (schema.SPAN_BOUNDS)'),
        sa.Column('tickets', sa.Integer(), nullable=False,
                  comment='tickets whose span to that step falls in the bucket'),
        sa.PrimaryKeyConstraint('day', 'town_code', 'stage', 'bucket'),
        comment='derived (summaries.py, written by the admin tool only): the spans of '
                'ticket_states from each step of the closed loop to the next, counted per month '
                "of report, town, step and bucket of duration (问题流转's medians); kept with "
                'ticket_rollup',
    )
    _fill_span_rollup()
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key == VISITS_CURRENT))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='11'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='10'))
    op.drop_table('span_rollup')
    op.drop_index('ix_visits_officer_time', table_name='visits')
    op.drop_table('officer_rollup')
    op.drop_table('ticket_visits')

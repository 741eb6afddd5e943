"""each town's day counted in ticket_rollup (grain T, schema version 12)

The rows of grain T are ticket_rollup's day rows summed over the categories and sources
('' for both): a daily series of a town or the district (总览's and 问题流转's weekly flow)
reads 17 rows a day instead of a thousand. Summed here from the day rows as they are; each
refresh keeps them with the others.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COUNTS = ['collected', 'resolved', 'dispatched', 'accepted', 'signed_off', 'evaluated',
          'on_time', 'ever_resolved', 'reopened', 'supervised', 'coordinated', 'bounced',
          'fast_closed', 'signed_off_unscored', 'repeat_reported', 'resolved_in_period',
          'evaluations', 'satisfied', 'open']
KEY = ['grain', 'basis', 'day', 'town_code', 'category', 'source']
COMMENTS = {  # column → (type, comment at 11, comment at 12)
    'grain': (sa.String(length=1), 'D: one day; M: the calendar month starting on `day`',
              'D: one day; M: the calendar month starting on `day`; T: one day, all categories '
              'and sources (the town\'s day: the D rows summed)'),
    'day': (sa.Date(), "the day (grain D) or the month's first day (grain M)",
            "the day (grain D, T) or the month's first day (grain M)"),
    'category': (sa.String(length=30), 'tickets.category', "tickets.category ('' in grain T)"),
    'source': (sa.String(length=32), 'tickets.source', "tickets.source ('' in grain T)"),
}
TABLE_COMMENT = (
    "derived (summaries.py, written by the admin tool only): ticket_states counted per day or "
    "month of a basis time, town, category and source{}; exact for as_of after the tickets' "
    "last events, corrected for the others by figures.py")


def _rollup():
    return sa.table('ticket_rollup', *(sa.column(name) for name in KEY + COUNTS))


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def _comments(version: int) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite keeps no comments
        return
    for name, (kind, before, after) in COMMENTS.items():
        op.alter_column('ticket_rollup', name, existing_type=kind, existing_nullable=False,
                        comment=after if version == 12 else before,
                        existing_comment=before if version == 12 else after)
    op.create_table_comment('ticket_rollup', TABLE_COMMENT.format(
        ', and per day and town' if version == 12 else ''))


def upgrade() -> None:
    rollup = _rollup()
    r = rollup.c
    op.execute(rollup.insert().from_select(KEY + COUNTS, sa.select(
        sa.literal('T'), r.basis, r.day, r.town_code, sa.literal(''), sa.literal(''),
        *(sa.func.sum(r[name]) for name in COUNTS))
        .where(r.grain == 'D').group_by(r.basis, r.day, r.town_code)))
    _comments(12)
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='12'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='11'))
    rollup = _rollup()
    op.execute(rollup.delete().where(rollup.c.grain == 'T'))
    _comments(11)

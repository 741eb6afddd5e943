"""each officer's year counted in officer_rollup (grain Y, schema version 16)

officer_rollup keeps, beside its days (D) and months (M), each year (Y), its months summed.
走访覆盖 over the campaign then reads five rows an officer, town and group, not sixty
months. The year rows are summed here from the month rows as they are, so the last
refresh's mark holds; each refresh keeps them with the others. The grain already leads the
key, so the new rows follow the others in its order.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TABLE = 'officer_rollup'
KEY = ['officer_id', 'town_code', 'target_group']
COUNTS = ['visits', 'problems', 'tickets', 'resolved']
GRAIN = ('D: one day | M: one calendar month',
         'D: one day | M: one calendar month | Y: one calendar year (its months summed)')
DAY = ('the day of the visits, or the first day of their month',
       'the day of the visits, or the first day of their month or year')
COMMENT = ('derived (summaries.py, written by the admin tool only): the visits, their problems '
           'and the tickets raised in them per {} of the visit, officer, the target\'s town and '
           'group; current while visit_rollup is and ticket_rollup\'s mark is the states\' mark')


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def _year_start(column: str) -> str:
    if op.get_bind().dialect.name == 'sqlite':
        return f"date({column}, 'start of year')"
    return f"CAST(date_trunc('year', {column}) AS DATE)"


def _comments(version: int) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite keeps no comments
        return
    now = 1 if version == 16 else 0
    op.alter_column(TABLE, 'grain', existing_type=sa.String(length=1), existing_nullable=False,
                    comment=GRAIN[now], existing_comment=GRAIN[1 - now])
    op.alter_column(TABLE, 'day', existing_type=sa.Date(), existing_nullable=False,
                    comment=DAY[now], existing_comment=DAY[1 - now])
    op.create_table_comment(TABLE, COMMENT.format('day, month and year' if now
                                                  else 'day and month'))


def upgrade() -> None:
    _comments(16)
    year, key = _year_start('day'), ', '.join(KEY)
    op.execute(f"INSERT INTO {TABLE} (grain, day, {key}, {', '.join(COUNTS)}) "
               f"SELECT 'Y', {year}, {key}, {', '.join(f'SUM({c})' for c in COUNTS)} "
               f"FROM {TABLE} WHERE grain = 'M' GROUP BY {year}, {key} "
               f"ORDER BY {year}, {key}")  # in the key's order, as a refresh writes them
    op.execute(f'ANALYZE {TABLE}')
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='16'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='15'))
    op.execute(f"DELETE FROM {TABLE} WHERE grain = 'Y'")
    _comments(15)

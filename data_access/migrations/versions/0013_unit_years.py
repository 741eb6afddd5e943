"""each unit's year counted in ticket_unit_rollup (grain Y, schema version 13)

ticket_unit_rollup gains a `grain` in its key: M for its month rows as they were, Y for the
year rows, the months summed. A grouping by grid cell, department or 专班 over five years
then reads five rows a unit, not sixty. The table is built anew (SQLite cannot change a
primary key in place) from the rows as they are, so the last refresh's mark holds; each
refresh keeps the year rows with the others.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

COUNTS = ['collected', 'resolved', 'dispatched', 'accepted', 'signed_off', 'evaluated',
          'on_time', 'ever_resolved', 'reopened', 'supervised', 'coordinated', 'bounced',
          'fast_closed', 'signed_off_unscored', 'repeat_reported', 'resolved_in_period',
          'evaluations', 'satisfied', 'open']
TABLE = 'ticket_unit_rollup'
NEXT = 'ticket_unit_rollup_next'


def _columns(version: int) -> list:
    grain = [sa.Column('grain', sa.String(length=1), nullable=False,
                       comment='M: one calendar month | Y: one calendar year (its months '
                               'summed)')] if version == 13 else []
    day = ('the first day of the month (grain M) or of the year (grain Y)' if version == 13
           else 'the first day of the calendar month counted')
    return [
        sa.Column('unit_kind', sa.String(length=16), nullable=False,
                  comment='the ticket column counted by: grid_cell_code | department | '
                          'task_force'),
        sa.Column('basis', sa.String(length=10), nullable=False,
                  comment='the day counted: reported | resolved | evaluated | due'),
        *grain,
        sa.Column('day', sa.Date(), nullable=False, comment=day),
        sa.Column('town_code', sa.String(length=12), nullable=False, comment='tickets.town_code'),
        sa.Column('unit', sa.String(length=40), nullable=False,
                  comment="the value of that column; '' for tickets without one"),
        *(sa.Column(code, sa.Integer(), nullable=False,
                    comment=f'tickets counted in the figure {code}') for code in COUNTS),
        sa.PrimaryKeyConstraint('unit_kind', 'basis', *(['grain'] if version == 13 else []),
                                'day', 'town_code', 'unit', name=f'{NEXT}_pkey'),
    ]


def _comment(version: int) -> str:
    return ('derived (summaries.py, written by the admin tool only): ticket_states counted per '
            f"month{' and per year' if version == 13 else ''} of a basis time, town and grid "
            'cell, department or 专班, as ticket_rollup')


def _year_start(column: str) -> str:
    if op.get_bind().dialect.name == 'sqlite':
        return f"date({column}, 'start of year')"
    return f"CAST(date_trunc('year', {column}) AS DATE)"


def _rebuild(version: int, *fills: str) -> None:
    """ticket_unit_rollup built anew in the shape of `version`, filled by `fills` (INSERT
    … SELECT … FROM ticket_unit_rollup, into NEXT)."""
    op.create_table(NEXT, *_columns(version), comment=_comment(version))
    for fill in fills:
        op.execute(fill)
    op.drop_table(TABLE)
    op.rename_table(NEXT, TABLE)
    if op.get_bind().dialect.name == 'postgresql':  # the key's name as create_all gives it
        op.execute(f'ALTER TABLE {TABLE} RENAME CONSTRAINT {NEXT}_pkey TO {TABLE}_pkey')
    op.execute(f'ANALYZE {TABLE}')  # the planner's statistics went with the old table


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    counts = ', '.join(COUNTS)
    year = _year_start('day')
    _rebuild(13,
             f"INSERT INTO {NEXT} (unit_kind, basis, grain, day, town_code, unit, {counts}) "
             f"SELECT unit_kind, basis, 'M', day, town_code, unit, {counts} FROM {TABLE}",
             f"INSERT INTO {NEXT} (unit_kind, basis, grain, day, town_code, unit, {counts}) "
             f"SELECT unit_kind, basis, 'Y', {year}, town_code, unit, "
             f"{', '.join(f'SUM({c})' for c in COUNTS)} FROM {TABLE} "
             f"GROUP BY unit_kind, basis, {year}, town_code, unit")
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='13'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='12'))
    counts = ', '.join(COUNTS)
    _rebuild(12,
             f"INSERT INTO {NEXT} (unit_kind, basis, day, town_code, unit, {counts}) "
             f"SELECT unit_kind, basis, day, town_code, unit, {counts} FROM {TABLE} "
             "WHERE grain = 'M'")

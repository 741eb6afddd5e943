"""the rollup's correction kept also at a week ago's midnights; the rollups in the order of
their keys; 周例会's boards kept at the meetings' cut-offs (schema version 15)

cutoff_corrections keeps, besides the last two weekly meetings' cut-offs, the midnights
of the days 7 and 6 days before the refresh's: a comparison with the week before (总览's
and 大屏's 上周) starts from the one on its day and adds the change since. The rows are
the same kind; only the comments say so. The next refresh keeps the midnights.

The rollups are rewritten in the order of their primary keys (PostgreSQL: CLUSTER; SQLite:
the rows copied out and back in order), as every rebuild now writes them: a reader's range
of days is then a run of pages, not a page a row.

`cutoff_reports` is derived: the upgrade creates it empty; the next refresh fills it with
the week's reports per town and department at the last two meetings' cut-offs.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

AS_OF = ("the cut-off (a weekly meeting's) the row corrects the rollup at",
         "the cut-off the row corrects the rollup at (a weekly meeting's, or a midnight a "
         "week-ago comparison starts from)")
TABLE = ("derived (summaries.py, written by the admin tool only): ticket_rollup's exact "
         "correction at the last weekly meetings' cut-offs{} (cockpit_meta "
         "corrections_kept_at), rebuilt by each refresh; read while no ticket or event was "
         "written since")
MIDNIGHTS = " and at the midnights 7 and 6 days before the refresh's day"
COHORT = ['collected', 'resolved', 'dispatched', 'accepted', 'signed_off', 'evaluated',
          'on_time', 'ever_resolved', 'reopened', 'supervised', 'coordinated', 'bounced',
          'fast_closed', 'signed_off_unscored', 'repeat_reported']
REPORTED = ("the week's reports (the seven days before the cut-off's day) in the figure {}, as "
            "they stood at the cut-off")
ROLLUPS = {  # table → its primary key, as version 14 declares it
    'ticket_rollup': ['grain', 'basis', 'day', 'town_code', 'category', 'source'],
    'ticket_unit_rollup': ['unit_kind', 'basis', 'grain', 'day', 'town_code', 'unit'],
    'span_rollup': ['day', 'town_code', 'stage', 'bucket'],
    'visit_rollup': ['grain', 'day', 'town_code', 'diary_type'],
    'officer_rollup': ['grain', 'day', 'officer_id', 'town_code', 'target_group'],
}


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def _comments(version: int) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite keeps no comments
        return
    before, after = AS_OF if version == 15 else AS_OF[::-1]
    op.alter_column('cutoff_corrections', 'as_of', existing_type=sa.DateTime(),
                    existing_nullable=False, comment=after, existing_comment=before)
    op.create_table_comment('cutoff_corrections',
                            TABLE.format(MIDNIGHTS if version == 15 else ''))


def _in_key_order() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table, key in ROLLUPS.items():
        if postgresql:
            op.execute(f'CLUSTER {table} USING {table}_pkey')
            op.execute(f'ANALYZE {table}')
            continue
        order = ', '.join(key)
        op.execute(f'CREATE TEMPORARY TABLE sorted_rows AS SELECT * FROM {table} ORDER BY {order}')
        op.execute(f'DELETE FROM {table}')
        op.execute(f'INSERT INTO {table} SELECT * FROM sorted_rows ORDER BY {order}')
        op.execute('DROP TABLE sorted_rows')


def upgrade() -> None:
    _comments(15)
    _in_key_order()
    op.create_table(
        'cutoff_reports',
        sa.Column('as_of', sa.DateTime(), nullable=False,
                  comment="a weekly meeting's cut-off (a Monday 09:00)"),
        sa.Column('town_code', sa.String(length=12), nullable=False, comment='tickets.town_code'),
        sa.Column('department', sa.String(length=40), nullable=False,
                  comment='tickets.department'),
        *(sa.Column(code, sa.Integer(), nullable=False, comment=REPORTED.format(code))
          for code in COHORT),
        sa.PrimaryKeyConstraint('as_of', 'town_code', 'department'),
        comment="derived (summaries.py, written by the admin tool only): 周例会's boards, the "
                "week's reports per town and department at the last weekly meetings' "
                "cut-offs (cockpit_meta reports_kept_at), kept by each refresh with "
                "cutoff_corrections; read while no ticket or event was written since",
    )
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='15'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='14'))
    op.execute(meta.delete().where(meta.c.key == 'reports_kept_at'))
    op.drop_table('cutoff_reports')
    _comments(14)

"""visits counted per day and month and the target's town (visit_rollup, schema version 9),
with the triggers that forget it when visits or targets are written

`visit_rollup` is derived: it is read only while cockpit_meta holds `visit_rollup_current`,
which the next `python -m data_access.admin refresh` writes when it builds the table; until
then the cockpit counts the visits themselves. The triggers delete that key on any write to
visits or targets, by whatever program. (A copy of schema.rollup_triggers as of version 9:
a migration keeps the schema of its own version.)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SOURCES = ('visits', 'targets')
FORGET = "DELETE FROM cockpit_meta WHERE key = 'visit_rollup_current'"


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def _triggers(dialect):
    if dialect == 'postgresql':
        return [f"""CREATE OR REPLACE FUNCTION cockpit_forget_visit_rollup() RETURNS trigger
                    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
                    BEGIN {FORGET}; RETURN NULL; END $$""",
                *(f"""CREATE OR REPLACE TRIGGER cockpit_forget_visit_rollup
                      AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                      FOR EACH STATEMENT EXECUTE FUNCTION cockpit_forget_visit_rollup()"""
                  for table in SOURCES)]
    return [f"""CREATE TRIGGER IF NOT EXISTS cockpit_forget_visit_rollup_{table}_{kind.lower()}
                AFTER {kind} ON {table} BEGIN {FORGET}; END"""
            for table in SOURCES for kind in ('INSERT', 'UPDATE', 'DELETE')]


def upgrade() -> None:
    op.create_table(
        'visit_rollup',
        sa.Column('grain', sa.String(length=1), nullable=False,
                  comment='D: one day | M: one calendar month'),
        sa.Column('day', sa.Date(), nullable=False,
                  comment='the day, or the first day of the month'),
        sa.Column('town_code', sa.String(length=12), nullable=False,
                  comment="targets.town_code of the visited target ('' for none)"),
        sa.Column('visits', sa.Integer(), nullable=False,
                  comment='visits made (visits joined to their target)'),
        sa.PrimaryKeyConstraint('grain', 'day', 'town_code'),
        comment='derived (summaries.py, written by the admin tool only): visits counted per day '
                "and month of visited_at and the target's town; current while cockpit_meta "
                'holds visit_rollup_current',
    )
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key == 'visit_rollup_current'))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='9'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='8'))
    if op.get_bind().dialect.name == 'postgresql':
        for table in SOURCES:
            op.execute(f'DROP TRIGGER IF EXISTS cockpit_forget_visit_rollup ON {table}')
        op.execute('DROP FUNCTION IF EXISTS cockpit_forget_visit_rollup()')
    else:
        for table in SOURCES:
            for kind in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER IF EXISTS cockpit_forget_visit_rollup_{table}_{kind}')
    op.execute(meta.delete().where(meta.c.key == 'visit_rollup_current'))
    op.drop_table('visit_rollup')

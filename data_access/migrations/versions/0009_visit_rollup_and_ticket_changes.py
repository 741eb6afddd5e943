"""visits counted per day and month and the target's town (visit_rollup, schema version 9),
with the triggers that forget it when visits or targets are written; ticket_changes, the
tickets written since the last refresh, noted by triggers on tickets

`visit_rollup` is derived: it is read only while cockpit_meta holds `visit_rollup_current`,
which the next `python -m data_access.admin refresh` writes when it builds the table; until
then the cockpit counts the visits themselves. The triggers delete that key on any write to
visits or targets, by whatever program. The triggers on tickets note every ticket written
in ticket_changes, which the refresh reads instead of looking for tickets without a stored
state; the upgrade forgets the last refresh, so the next one is full. (Copies of
schema.rollup_triggers and schema.ticket_triggers as of version 9: a migration keeps the
schema of its own version.)

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
MARKS = ['summaries_event_id', 'rollup_event_id']
WRITES = (('INSERT', 'NEW TABLE AS new_rows', ['NEW']),
          ('UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', ['OLD', 'NEW']),
          ('DELETE', 'OLD TABLE AS old_rows', ['OLD']))


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


def _ticket_triggers(dialect):
    if dialect == 'postgresql':
        note = 'INSERT INTO ticket_changes SELECT id FROM {} ON CONFLICT DO NOTHING'
        return [f"""CREATE OR REPLACE FUNCTION cockpit_note_tickets() RETURNS trigger
                    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
                    BEGIN
                      IF TG_OP = 'TRUNCATE' THEN
                        DELETE FROM cockpit_meta
                        WHERE key IN ('summaries_event_id', 'rollup_event_id');
                        RETURN NULL;
                      END IF;
                      IF TG_OP IN ('UPDATE', 'DELETE') THEN {note.format('old_rows')}; END IF;
                      IF TG_OP IN ('UPDATE', 'INSERT') THEN {note.format('new_rows')}; END IF;
                      RETURN NULL;
                    END $$""",
                *(f"""CREATE OR REPLACE TRIGGER cockpit_note_tickets_{kind.lower()} AFTER {kind}
                      ON tickets REFERENCING {rows} FOR EACH STATEMENT
                      EXECUTE FUNCTION cockpit_note_tickets()"""
                  for kind, rows, _ in WRITES),
                """CREATE OR REPLACE TRIGGER cockpit_note_tickets_truncate AFTER TRUNCATE
                   ON tickets FOR EACH STATEMENT EXECUTE FUNCTION cockpit_note_tickets()"""]
    note = ('INSERT INTO ticket_changes SELECT {0}.id WHERE NOT EXISTS '
            '(SELECT 1 FROM ticket_changes WHERE ticket_id = {0}.id);')
    return [f"""CREATE TRIGGER IF NOT EXISTS cockpit_note_tickets_{kind.lower()} AFTER {kind}
                ON tickets BEGIN {' '.join(note.format(row) for row in rows)} END"""
            for kind, _, rows in WRITES]


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
    op.create_table(
        'ticket_changes',
        sa.Column('ticket_id', sa.String(length=14), nullable=False,
                  comment='a ticket inserted, updated or deleted since the last refresh'),
        sa.PrimaryKeyConstraint('ticket_id'),
        comment='bookkeeping (written by the triggers on tickets, emptied by the refresh): the '
                'tickets whose stored state the next refresh rewrites, whoever wrote them',
    )
    dialect = op.get_bind().dialect.name
    for statement in [*_triggers(dialect), *_ticket_triggers(dialect)]:
        op.execute(statement)
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key.in_(['visit_rollup_current', *MARKS])))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='9'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='8'))
    kinds = [kind.lower() for kind, _, _ in WRITES]
    if op.get_bind().dialect.name == 'postgresql':
        for table in SOURCES:
            op.execute(f'DROP TRIGGER IF EXISTS cockpit_forget_visit_rollup ON {table}')
        for kind in [*kinds, 'truncate']:
            op.execute(f'DROP TRIGGER IF EXISTS cockpit_note_tickets_{kind} ON tickets')
        op.execute('DROP FUNCTION IF EXISTS cockpit_forget_visit_rollup()')
        op.execute('DROP FUNCTION IF EXISTS cockpit_note_tickets()')
    else:
        for kind in kinds:
            op.execute(f'DROP TRIGGER IF EXISTS cockpit_note_tickets_{kind}')
            for table in SOURCES:
                op.execute(f'DROP TRIGGER IF EXISTS cockpit_forget_visit_rollup_{table}_{kind}')
    op.execute(meta.delete().where(meta.c.key.in_(['visit_rollup_current', *MARKS])))
    op.drop_table('ticket_changes')
    op.drop_table('visit_rollup')

"""visits counted per day and month and the target's town (visit_rollup, schema version 9),
with the triggers that forget it when visits or targets are written; ticket_changes, the
tickets written since the last refresh, noted by triggers on tickets

`visit_rollup` is derived: it is read only while cockpit_meta holds `visit_rollup_current`,
which the next `python -m data_access.admin refresh` writes when it builds the table; until
then the cockpit counts the visits themselves. The triggers delete that key on any write to
visits or targets, by whatever program. The triggers on tickets and ticket_events note in
ticket_changes every ticket written and the ticket of every event changed or deleted, which
the refresh reads instead of looking for tickets without a stored state; the upgrade forgets
the last refresh, so the next one is full. The triggers are created as schema.py declares
them (rollup_triggers, ticket_triggers): a later version that changes them replaces them in
its own migration.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

from data_access import schema

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

MARKS = ['summaries_event_id', 'rollup_event_id']


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


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
    for statement in [*schema.rollup_triggers(dialect), *schema.ticket_triggers(dialect)]:
        op.execute(statement)
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key.in_(['visit_rollup_current', *MARKS])))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='9'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='8'))
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':  # every trigger this version made, by its prefix
        for name, table in bind.execute(sa.text(
                "SELECT g.tgname, c.relname FROM pg_trigger g JOIN pg_class c "
                "ON c.oid = g.tgrelid WHERE NOT g.tgisinternal AND g.tgname LIKE 'cockpit_%' "
                "AND c.relnamespace = current_schema()::regnamespace")).all():
            op.execute(f'DROP TRIGGER {name} ON {table}')
        op.execute('DROP FUNCTION IF EXISTS cockpit_forget_visit_rollup()')
        op.execute('DROP FUNCTION IF EXISTS cockpit_note_tickets()')
    else:
        for (name,) in bind.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'cockpit_%'")).all():
            op.execute(f'DROP TRIGGER {name}')
    op.execute(meta.delete().where(meta.c.key.in_(['visit_rollup_current', *MARKS])))
    op.drop_table('ticket_changes')
    op.drop_table('visit_rollup')

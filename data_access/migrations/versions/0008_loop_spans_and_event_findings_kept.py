"""each ticket's time from step to step of the closed loop, indexed, and its data-quality
findings among its events, kept in ticket_states, with partial indexes of the tickets with
findings and of the open ones (schema version 8)

The new columns are derived: the upgrade forgets the last refresh (the cockpit computes
from the events until then), and the next `python -m data_access.admin refresh` fills them
with the other derived tables.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MARKS = ['summaries_event_id', 'rollup_event_id']
STEPS = ['dispatched', 'accepted', 'resolved', 'signed_off', 'evaluated']
FEW = {  # partial indexes: the few tickets with data-quality findings, and the open ones
    'skipped_step': 'resolved_at IS NOT NULL AND (dispatched_at IS NULL OR accepted_at IS NULL)',
    'event_findings': 'early_events > 0 OR unknown_events > 0',
    'open': 'ticket_id IS NULL OR NOT (resolved_at IS NOT NULL AND '
            '(reopened_at IS NULL OR reopened_at < resolved_at))',
}


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('ticket_states') as batch:
        for stage in STEPS:
            batch.add_column(sa.Column(
                f'seconds_to_{stage}', sa.BigInteger(),
                comment=f"seconds from the loop's step before to {stage} (the last event of "
                        f"each; the report for 派单); NULL when either is missing or {stage} "
                        "came first"))
        batch.add_column(sa.Column(
            'early_events', sa.Integer(), nullable=False, server_default='0',
            comment="events dated before the ticket's report (a data-quality finding)"))
        batch.add_column(sa.Column(
            'unknown_events', sa.Integer(), nullable=False, server_default='0',
            comment='events whose stage is not in the glossary (a data-quality finding)'))
    for stage in STEPS:
        op.create_index(f'ix_ticket_states_to_{stage}', 'ticket_states',
                        [f'seconds_to_{stage}', 'reported_at', 'town_code'])
    for name, where in FEW.items():
        op.create_index(f'ix_ticket_states_{name}', 'ticket_states', ['reported_at'],
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    meta = _meta()
    op.execute(meta.delete().where(meta.c.key.in_(MARKS)))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='8'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='7'))
    op.execute(meta.delete().where(meta.c.key.in_(MARKS)))
    for name in FEW:
        op.drop_index(f'ix_ticket_states_{name}', table_name='ticket_states')
    for stage in STEPS:
        op.drop_index(f'ix_ticket_states_to_{stage}', table_name='ticket_states')
    with op.batch_alter_table('ticket_states') as batch:
        for column in ['unknown_events', 'early_events', *(f'seconds_to_{s}' for s in STEPS)]:
            batch.drop_column(column)

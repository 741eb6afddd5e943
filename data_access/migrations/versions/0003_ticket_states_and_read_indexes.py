"""ticket states kept per ticket, and the indexes the reads lack (schema version 3)

`ticket_states` is derived: `python -m data_access.admin refresh` fills it (the upgrade
leaves it empty, and the cockpit computes from the events until then).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

STAGES = ['dispatched', 'accepted', 'coordinated', 'resolved', 'signed_off', 'evaluated',
          'rejected', 'supervised', 'reopened']


def upgrade() -> None:
    copied = [('town_code', sa.String(12), False), ('grid_cell_code', sa.String(16), True),
              ('category', sa.String(30), False), ('source', sa.String(32), False),
              ('department', sa.String(40), False), ('task_force', sa.String(32), True),
              ('reported_at', sa.DateTime(), False), ('due_at', sa.DateTime(), False),
              ('satisfaction', sa.Integer(), True)]
    op.create_table(
        'ticket_states',
        sa.Column('ticket_id', sa.String(14), nullable=False, comment='ticket'),
        *(sa.Column(name, kind, nullable=null, comment=f'tickets.{name}, copied')
          for name, kind, null in copied),
        *(sa.Column(f'{s}_at', sa.DateTime(), nullable=True, comment=f'time of the last {s} event')
          for s in STAGES),
        sa.Column('handling_since', sa.DateTime(), nullable=True,
                  comment='last accepted, coordinated or reopened event'),
        sa.Column('rejections', sa.Integer(), nullable=False,
                  comment='number of rejected (退单) events'),
        sa.Column('supervisions', sa.Integer(), nullable=False,
                  comment='number of supervised (督办) events'),
        sa.Column('first_event_at', sa.DateTime(), nullable=True,
                  comment="time of the ticket's earliest event; NULL without events"),
        sa.Column('last_event_at', sa.DateTime(), nullable=True,
                  comment="time of the ticket's latest event; NULL without events"),
        sa.PrimaryKeyConstraint('ticket_id'),
        comment='derived (summaries.py, written by the admin tool only): each ticket with its '
                'state after all its events; exact at any as_of later than last_event_at. The '
                'raw tables stay the truth',
    )
    op.create_index('ix_ticket_states_reported', 'ticket_states', ['reported_at'])
    op.create_index('ix_ticket_states_town_reported', 'ticket_states', ['town_code', 'reported_at'])
    op.create_index('ix_ticket_states_last_event', 'ticket_states',
                    ['last_event_at', 'first_event_at'])
    op.drop_index('ix_tickets_town', table_name='tickets')
    op.create_index('ix_tickets_town_reported', 'tickets', ['town_code', 'reported_at'])
    op.create_index('ix_tickets_visit', 'tickets', ['visit_id'])
    op.create_index('ix_tickets_cell_category_reported', 'tickets',
                    ['grid_cell_code', 'category', 'reported_at'])
    op.create_index('ix_visits_target_time', 'visits', ['target_id', 'visited_at'])
    # the unique key (ticket_id, stage, at) serves every look-up by ticket
    op.drop_index('ix_ticket_events_ticket_id', table_name='ticket_events')
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='3'))


def downgrade() -> None:
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='2'))
    op.execute(meta.delete().where(meta.c.key.like('summaries_%')))
    op.create_index('ix_ticket_events_ticket_id', 'ticket_events', ['ticket_id'])
    op.drop_index('ix_visits_target_time', table_name='visits')
    op.drop_index('ix_tickets_cell_category_reported', table_name='tickets')
    op.drop_index('ix_tickets_visit', table_name='tickets')
    op.drop_index('ix_tickets_town_reported', table_name='tickets')
    op.create_index('ix_tickets_town', 'tickets', ['town_code'])
    op.drop_table('ticket_states')

"""the district's ticket flow, the official calendar and time limits (schema version 2)

Stage codes of version 1 are renamed to the district's flow: 受理 (accepted) is 派单
(dispatched), 交办 (assigned) is 接单 (accepted). The order of the two updates matters.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'official_calendar',
        sa.Column('day', sa.Date(), nullable=False,
                  comment='a day whose status the official calendar sets'),
        sa.Column('is_workday', sa.Boolean(), nullable=False,
                  comment='true: a working day (调休 make-up day); false: a holiday'),
        sa.Column('note', sa.String(length=40), nullable=True, comment='e.g. 春节, 国庆节调休上班'),
        sa.PrimaryKeyConstraint('day'),
        comment="the State Council's holiday arrangement, where the district records it (e.g. "
                "next year's, before the calendar library knows it); it overrides the library",
    )
    op.create_table(
        'ticket_time_limits',
        sa.Column('category', sa.String(length=30), nullable=False, comment='ticket category'),
        sa.Column('work_days', sa.Integer(), nullable=False,
                  comment='working days from the day of reporting to the deadline'),
        sa.PrimaryKeyConstraint('category'),
        comment='办理时限 per category in working days; due_at = end of the N-th working day '
                'after the day of reporting',
    )
    if op.get_bind().dialect.name != 'sqlite':  # SQLite keeps no comments
        from data_access import schema
        for table, column in [('ticket_events', 'stage'), ('tickets', 'due_at')]:
            col = schema.metadata.tables[table].c[column]
            op.alter_column(table, column, existing_type=col.type, existing_nullable=False,
                            comment=col.comment)
        op.create_table_comment('ticket_events', schema.ticket_events.comment)
    events = sa.table('ticket_events', sa.column('stage', sa.String))
    op.execute(events.update().where(events.c.stage == 'accepted').values(stage='dispatched'))
    op.execute(events.update().where(events.c.stage == 'assigned').values(stage='accepted'))
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='2'))


def downgrade() -> None:
    events = sa.table('ticket_events', sa.column('stage', sa.String))
    op.execute(events.update().where(events.c.stage == 'accepted').values(stage='assigned'))
    op.execute(events.update().where(events.c.stage == 'dispatched').values(stage='accepted'))
    meta = sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='1'))
    op.drop_table('ticket_time_limits')
    op.drop_table('official_calendar')

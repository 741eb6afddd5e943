"""each officer's first and last visit of each target (pair_visits, schema version 17)

走访覆盖's coverage asks of every assignment whether its officer visited its target in the
period. With each pair's first and last visit kept, a pair first visited in the period is
found among these rows and only a pair visited before the period and since its start is
looked for in the visits (figures.pair_visited): over the campaign one read of this table
instead of a probe of the visits' index per assignment.

`pair_visits` is derived: filled here from the visits as they are; each refresh that
rebuilds visit_rollup rebuilds it, and it is read while visit_rollup is current (no write
to visits or targets since).

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def upgrade() -> None:
    op.create_table(
        'pair_visits',
        sa.Column('officer_id', sa.String(length=12), nullable=False,
                  comment='visits.officer_id'),
        sa.Column('target_id', sa.String(length=12), nullable=False,
                  comment='visits.target_id'),
        sa.Column('first_at', sa.DateTime(), nullable=False,
                  comment="the pair's first visit (visits.visited_at)"),
        sa.Column('last_at', sa.DateTime(), nullable=False, comment="the pair's last visit"),
        sa.PrimaryKeyConstraint('officer_id', 'target_id'),
        comment='derived (summaries.py, written by the admin tool only): each officer\'s first '
                'and last visit of each target they visited; current while cockpit_meta holds '
                'visit_rollup_current',
    )
    op.execute('INSERT INTO pair_visits (officer_id, target_id, first_at, last_at) '
               'SELECT officer_id, target_id, MIN(visited_at), MAX(visited_at) FROM visits '
               'WHERE visited_at IS NOT NULL GROUP BY officer_id, target_id '
               'ORDER BY officer_id, target_id')  # in the key's order, as a refresh writes it
    op.execute('ANALYZE pair_visits')
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='17'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='16'))
    op.drop_table('pair_visits')

"""a week ago's comparison starts from 13:00 on its day, not from a midnight (schema
version 19)

cutoff_corrections keeps, besides the last two weekly meetings' cut-offs, the rollup's
correction at 13:00 (figures.WEEK_AGO_TIME) of the days 7 and 6 days before the refresh's,
instead of at their midnights: 总览's and 大屏's comparison with the week before, looked at
during the working day, then judges at most five hours of events from it instead of up to
twelve. The rows are the same kind; only the comments say so. The midnights kept before
stay usable (a kept cut-off on as_of's day) until the next refresh keeps the new moments.

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

AS_OF = ("the cut-off the row corrects the rollup at (a weekly meeting's, or a midnight a "
         "week-ago comparison starts from)",
         "the cut-off the row corrects the rollup at (a weekly meeting's, or a week-ago "
         "comparison's moment: figures.WEEK_AGO_TIME 7 and 6 days before the refresh's day)")
TABLE = ("derived (summaries.py, written by the admin tool only): ticket_rollup's exact "
         "correction at the last weekly meetings' cut-offs and at {} 7 and 6 days before the "
         "refresh's day (cockpit_meta corrections_kept_at), rebuilt by each refresh; read "
         "while no ticket or event was written since")
MOMENTS = ("the midnights", "13:00")


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def _comments(version: int) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite keeps no comments
        return
    before, after = AS_OF if version == 19 else AS_OF[::-1]
    op.alter_column('cutoff_corrections', 'as_of', existing_type=sa.DateTime(),
                    existing_nullable=False, comment=after, existing_comment=before)
    op.create_table_comment('cutoff_corrections', TABLE.format(MOMENTS[version == 19]))


def upgrade() -> None:
    _comments(19)
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='19'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='18'))
    _comments(18)

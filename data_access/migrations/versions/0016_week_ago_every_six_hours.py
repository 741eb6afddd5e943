"""the rollup's correction kept at a week ago's every six hours, not only its midnights
(schema version 16)

cutoff_corrections keeps, besides the last two weekly meetings' cut-offs, the moments
00:00, 06:00, 12:00 and 18:00 of the days 7 and 6 days before the refresh's (not only
their midnights): a comparison with the week before (总览's and 大屏's 上周) starts from
the latest on its day and judges at most six hours of events since. The rows are the same
kind; only the comments say so. The next refresh keeps the new cut-offs, each but the
midnights from the one before it on its day (figures.chained_rows).

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

AS_OF = ("the cut-off the row corrects the rollup at (a weekly meeting's, or a midnight a "
         "week-ago comparison starts from)",
         "the cut-off the row corrects the rollup at (a weekly meeting's, or a moment a "
         "week-ago comparison starts from)")
TABLE = ("derived (summaries.py, written by the admin tool only): ticket_rollup's exact "
         "correction at the last weekly meetings' cut-offs and at {} (cockpit_meta "
         "corrections_kept_at), rebuilt by each refresh; read while no ticket or event was "
         "written since")
KEPT = ("the midnights 7 and 6 days before the refresh's day",
        "00:00, 06:00, 12:00 and 18:00 of the days 7 and 6 days before the refresh's")


def _meta():
    return sa.table('cockpit_meta', sa.column('key', sa.String), sa.column('value', sa.String))


def _comments(version: int) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite keeps no comments
        return
    before, after = AS_OF if version == 16 else AS_OF[::-1]
    op.alter_column('cutoff_corrections', 'as_of', existing_type=sa.DateTime(),
                    existing_nullable=False, comment=after, existing_comment=before)
    op.create_table_comment('cutoff_corrections', TABLE.format(KEPT[version == 16]))


def upgrade() -> None:
    _comments(16)
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='16'))


def downgrade() -> None:
    meta = _meta()
    op.execute(meta.update().where(meta.c.key == 'schema_version').values(value='15'))
    _comments(15)

"""The process id of each run (``crawl_runs.pid``), so the next run on the same host can tell a
run that was killed (SIGKILL, out-of-memory killer, power loss) from one still going.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE ... ADD COLUMN on every backend, SQLite included (no batch rebuild).
    op.add_column("crawl_runs", sa.Column("pid", sa.Integer(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE crawl_runs DROP COLUMN pid")
    else:
        op.drop_column("crawl_runs", "pid")

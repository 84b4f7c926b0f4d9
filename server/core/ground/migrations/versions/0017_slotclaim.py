"""slotclaim: tally slots claimed per connection, so no two live connections count under one slot

Revision ID: 0017_slotclaim
Revises: 0016_waiting

0015_tallyslots counted under the writer's backend pid modulo 32. Pids are not consecutive, so
connections met on one slot: in a 32-client run 17 connections used 11 slots, and an intake on a
shared slot waited for the other transaction's commit (a quarter of the intake statements sampled
were waiting on a `transactionid` lock), or for a whole batch of the worker's. Each PostgreSQL
connection now claims a free slot when it opens (a session advisory lock, see
server.core.ground.db.claim_tally_slot) and names it in the setting `chumchon.tally_slot`; the
triggers count under it, and a connection without one (psql, more connections than slots) under
64 + its pid modulo 64, apart from the claimed ones. Only sums over slots mean anything, as before.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0017_slotclaim"
down_revision = "0016_waiting"
branch_labels = None
depends_on = None

CLAIMED = "nullif(current_setting('chumchon.tally_slot', true), '')::smallint"
SLOT = f"coalesce({CLAIMED}, (64 + pg_backend_pid() % 64)::smallint)"


def _tallyslots() -> ModuleType:
    """0015's trigger functions, built with another slot expression (one definition of them)."""
    spec = importlib.util.spec_from_file_location("_tallyslots", Path(__file__).with_name("0015_tallyslots.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer and counts under slot 0
    for function in _tallyslots()._functions(slotted=True, slot=SLOT):
        op.execute(function)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in _tallyslots()._functions(slotted=True):
        op.execute(function)

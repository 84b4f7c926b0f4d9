#!/usr/bin/env bash
# Make sure the real PostgreSQL (127.0.0.1:5432, database test) and Redis (127.0.0.1:6379) answer;
# start them if they are down; fail loudly if they still cannot be reached.
set -uo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  echo "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! redis_up; then
  echo "Redis is down; starting it"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi
pg_up || { echo "FATAL: PostgreSQL at 127.0.0.1:5432 cannot be reached" >&2; exit 1; }
redis_up || { echo "FATAL: Redis at 127.0.0.1:6379 cannot be reached" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null \
  || { echo "FATAL: cannot log in to PostgreSQL database test as postgres" >&2; exit 1; }
echo "PostgreSQL and Redis are up"

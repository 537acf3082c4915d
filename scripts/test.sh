#!/usr/bin/env bash
# The whole test suite. Makes sure what the tests need is running first:
# PostgreSQL (the storage suite runs on it as well as on SQLite), an
# OpenSSH server (the devbox tool tests start their own sshd) and Redis
# (the fleet-wide rate limits; the outage tests start their own).
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_postgres() {
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
    return 0
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p 5432 && return 0
      sleep 1
    done
  fi
  if [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL is not available at 127.0.0.1:5432 and could not be started" >&2
    exit 1
  fi
  echo "note: PostgreSQL is not running; its tests will be skipped (they fail under CI=true)"
}

ensure_postgres
# The SSH tool tests run against a real sshd started by the tests.
if ! bash scripts/ensure-sshd.sh; then
  [ "${CI:-}" = "true" ] && exit 1
  echo "note: no sshd could be installed; the SSH tests will be skipped (they fail under CI=true)"
fi
if ! bash scripts/ensure-redis.sh; then
  [ "${CI:-}" = "true" ] && exit 1
  echo "note: no Redis could be installed or started; its tests will be skipped (they fail under CI=true)"
fi
cargo test --workspace --all-targets --no-fail-fast "$@"

#!/usr/bin/env bash
# Makes sure redis-server is installed (the outage tests start their own on
# a free port) and that the shared Redis answers on 127.0.0.1:6379 (the
# fleet-wide rate-limit tests use it), starting one without persistence if
# none does.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-redis: redis-server is missing and apt-get is not available" >&2
    exit 1
  fi
  echo "ensure-redis: installing redis-server"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends redis-server
fi

answers() {
  # `redis-cli` comes with the server package; PING over bash's /dev/tcp otherwise.
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]
  else
    exec 3<>/dev/tcp/127.0.0.1/6379 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 1 reply <&3 || true
    exec 3>&-
    [ "${reply%$'\r'}" = "+PONG" ]
  fi
}

if answers; then
  exit 0
fi
echo "ensure-redis: starting redis-server on 127.0.0.1:6379"
redis-server --port 6379 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
for _ in $(seq 1 50); do
  answers && exit 0
  sleep 0.1
done
echo "ensure-redis: Redis does not answer on 127.0.0.1:6379" >&2
exit 1

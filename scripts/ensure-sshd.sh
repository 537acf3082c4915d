#!/usr/bin/env bash
# Makes sure an OpenSSH server binary exists at /usr/sbin/sshd, for the
# sybil-ssh integration tests (they start their own sshd on a free port of
# 127.0.0.1; this script only installs, it starts nothing).
# Also installs ssh-keygen (openssh-client), which the tests use for keys.
set -euo pipefail

if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-sshd: /usr/sbin/sshd is missing and apt-get is not available" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "ensure-sshd: installing openssh-server"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends openssh-server openssh-client

# sshd refuses to start without its privilege-separation directory.
$SUDO mkdir -p /run/sshd
test -x /usr/sbin/sshd

#!/bin/bash
# The floor for a pod with three init containers and one app container, done by hand with util-linux:
# a sandbox holder with its own net, uts and ipc namespaces and loopback up, then three init containers
# (`true`, each in a new pid and mount namespace, run to completion in order), then the app (`sleep 3600`).
# Prints "running <holder pid> <app pid>" as soon as the app's process is `sleep`, then waits for a line
# on stdin (or EOF) and removes everything it started.
# Usage: floor.sh [MARKER]   (MARKER goes into the environment of every process, so leftovers can be found)
set -euo pipefail
export PODRUN_BENCH="${1:-floor}"

# The first child of $1 (unshare --fork makes exactly one).
first_child() {
  local children=''
  while [ -z "$children" ]; do
    read -r children < "/proc/$1/task/$1/children" || true
  done
  echo "${children%% *}"
}

unshare --net --uts --ipc --fork sleep infinity &
holder_parent=$!
holder=$(first_child "$holder_parent")
nsenter -t "$holder" --net ip link set lo up

for _ in 1 2 3; do
  nsenter -t "$holder" --net --uts --ipc -- unshare --pid --mount --fork true
done

nsenter -t "$holder" --net --uts --ipc -- unshare --pid --mount --fork sleep 3600 &
app_parent=$!
app=$(first_child "$app_parent")
comm=''
until [ "$comm" = sleep ]; do
  read -r comm < "/proc/$app/comm" || true
done
echo "running $holder $app"

read -r _ || true
exec 2>/dev/null # bash reports the killed jobs; the teardown needs no commentary
# Parents first: an `unshare --fork` whose child is killed complains as it re-raises the signal.
kill -KILL "$app_parent" "$holder_parent" 2>/dev/null || true
kill -KILL "$app" "$holder" 2>/dev/null || true
wait "$app_parent" "$holder_parent" 2>/dev/null || true

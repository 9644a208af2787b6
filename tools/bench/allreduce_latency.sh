#!/usr/bin/env bash
# Gloo all-reduce alone between 2 processes on loopback, in the four ways a process can be placed
# and wait: bound to a CPU of its own or not (--cpu-bind auto / none), and waiting asleep or by
# polling (GroupOptions::busy_wait, which d2a uses for a bound process; an unbound one sleeps). Builds the benchmark
# (ninja -C build d2a_bench_allreduce) when missing.
#
#   tools/bench/allreduce_latency.sh [REPEATS]     (default 200 all-reduces per size)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bench="$root/build/d2a_bench_allreduce"
[[ -x "$bench" ]] || cmake --build "$root/build" --target d2a_bench_allreduce
repeats="${1:-200}"
port=$((25000 + RANDOM % 5000))
for config in "bound, polling (d2a's default)|" "bound, asleep|--asleep" \
              "unbound, asleep (--cpu-bind none)|--no-bind --asleep"; do
  label="${config%%|*}"
  read -r -a flags <<< "${config#*|}"
  port=$((port + 1))
  echo "$label:"
  for r in 1 0; do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$bench" --repeats "$repeats" "${flags[@]}" &
  done
  wait
done

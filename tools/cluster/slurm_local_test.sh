#!/usr/bin/env bash
# A real one-node Slurm on this machine, started and stopped by this script, that runs
# tools/cluster/submit_db_build.sh on a tiny build (an array of 2 `db build --shard auto` tasks,
# then the merge after afterok) and checks that the merged database has exactly the records of
# the same build done in one process with the same seed.
#
#   tools/cluster/slurm_local_test.sh [WORK_DIR]      (default build/slurm-test; needs root)
#
# Installs Debian's slurm-wlm, munge and python3-h5py (run with /usr/bin/python3) when missing. Starts munged (if not running),
# slurmctld and slurmd with a configuration written into WORK_DIR (SLURM_CONF points there; the
# system's /etc/slurm is not touched), and stops what it started on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [[ $(id -u) -ne 0 ]]; then
  echo "slurm_local_test: skipped: starting slurmctld, slurmd and munged needs root" >&2
  exit 77
fi
source "$root/tools/packages.sh"
ensure_packages slurm-wlm munge python3-h5py
d2a="$root/build/d2a"
[[ -x $d2a ]] || { echo "slurm_local_test: build d2a first (tools/setup.sh)" >&2; exit 2; }
work="$(realpath -m "${1:-$root/build/slurm-test}")"
rm -rf "$work"
mkdir -p "$work/state" "$work/spool"
start=$(date +%s)

started=()
cleanup() {
  [[ -n ${SLURM_CONF:-} ]] && scancel --quiet --user root 2>/dev/null || true
  for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid"; do
    [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for name in "${started[@]}"; do pkill -x "$name" 2>/dev/null || true; done
}
trap cleanup EXIT

# munge: one key shared by the daemons and the client commands.
if ! pgrep -x munged >/dev/null; then
  if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
  started+=(munged)
fi

host=$(hostname -s)
cat > "$work/slurm.conf" <<CONF
ClusterName=d2a-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -i
slurmd
for _ in $(seq 60); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 1
done
[[ $state == idle ]] || { echo "slurm_local_test: the node never became idle (state '$state'); logs in $work" >&2; exit 1; }
echo "slurm_local_test: one-node Slurm up in $(( $(date +%s) - start )) s ($(sinfo -h -o '%P %D %c' | head -1))"

build=(--data digits --tasks 4 --archs-per-task 2 --budget cpu-fast --epochs 1 --seed 7)
t0=$(date +%s)
D2A="$d2a" "$root/tools/cluster/submit_db_build.sh" --wait "$work/merged.h5" 2 "${build[@]}"
echo "slurm_local_test: sharded build and merge through Slurm took $(( $(date +%s) - t0 )) s"
"$d2a" db build "${build[@]}" --out "$work/straight.h5" --threads 1 --json > /dev/null

/usr/bin/python3 - "$work/merged.h5" "$work/straight.h5" <<'PY'
import sys, h5py
def records(path):
    with h5py.File(path) as f:
        cells = f["archs/cell"].asstr()[:]
        tasks = {g.attrs["index"]: name for name, g in f["tasks"].items()}
        r = f["records"]
        return sorted((tasks[t], cells[a], float(x), int(s))
                      for t, a, x, s in zip(r["task"][:], r["arch"][:], r["accuracy"][:], r["seed"][:]))
merged, straight = records(sys.argv[1]), records(sys.argv[2])
if merged != straight:
    print(f"slurm_local_test: FAIL: merged {len(merged)} records, unsharded {len(straight)}; they differ")
    sys.exit(1)
print(f"slurm_local_test: OK: the merged database has exactly the {len(merged)} records of the unsharded build")
PY
echo "slurm_local_test: total $(( $(date +%s) - start )) s"

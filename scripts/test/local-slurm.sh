#!/bin/bash
# A throw-away single-node Slurm for tests (needs root and Debian's slurm-wlm and munge):
#   local-slurm.sh start DIR   writes DIR/slurm.conf, starts munged (unless one answers), slurmctld
#                              and slurmd, waits for the node to be idle; prints SLURM_CONF=DIR/slurm.conf
#   local-slurm.sh stop DIR    cancels the cluster's jobs, stops the daemons it started (by their
#                              pid files), then ends any job step of this cluster still left
# The daemons read DIR/slurm.conf (given with -f; clients find it through SLURM_CONF), use ports
# chosen from the pid, and keep state, spool and logs under DIR, so /etc/slurm is left alone.
# Settings from ../../shared/docs/environment.md ("Beyond one machine").
set -euo pipefail
action=${1:?start or stop}
dir=$(realpath -m "${2:?give a folder}")

if [ "$action" = stop ]; then
  export SLURM_CONF=$dir/slurm.conf
  # Jobs first, while slurmd is there to end their steps (srun, torchrun, the trainer): a step whose
  # slurmd has gone lives on. The wait covers KillWait=5 and the epilog.
  if [ -s "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    mapfile -t jobs < <(timeout 20 squeue -h -o %A 2>/dev/null || true)
    if [ "${#jobs[@]}" -gt 0 ]; then
      timeout 20 scancel "${jobs[@]}" 2>/dev/null || true
      for _ in $(seq 60); do
        [ -z "$(timeout 10 squeue -h -o %A 2>/dev/null || true)" ] && break
        sleep 0.25
      done
    fi
  fi
  pids=()
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    if [ -s "$pidfile" ]; then pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null && pids+=("$pid"); fi
  done
  # slurmctld saves its state on the way out: wait, so the caller can remove the folder.
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  # A second stop must not signal whatever process takes an ended daemon's pid.
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    if [ -s "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  done
  # What is left of this cluster's steps (a job scancel could not reach): slurmstepd started by our
  # slurmd carries our SLURM_CONF in its environment and holds our slurmd.log open, and so does an
  # srun of its jobs whose step went first; those of any other Slurm on the machine have neither.
  # The processes they run go with them.
  ours() {
    grep -qzxF "SLURM_CONF=$SLURM_CONF" "/proc/$1/environ" 2>/dev/null && return 0
    local fd
    for fd in /proc/"$1"/fd/*; do
      case $(readlink "$fd" 2>/dev/null) in "$dir"/*) return 0 ;; esac
    done
    return 1
  }
  tree() {
    local child
    echo "$1"
    for child in $(pgrep -P "$1"); do tree "$child"; done
  }
  mapfile -t left < <(
    for pid in $(pgrep -x slurmstepd) $(pgrep -x srun); do
      if ours "$pid"; then tree "$pid"; fi
    done | sort -un
  )
  if [ "${#left[@]}" -gt 0 ]; then
    echo "ending ${#left[@]} processes of job steps left behind: ${left[*]}" >&2
    kill -KILL "${left[@]}" 2>/dev/null || true
    for pid in "${left[@]}"; do
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
  fi
  exit 0
fi

for tool in slurmctld slurmd munged sbatch; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y slurm-wlm munge" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "the local Slurm runs its daemons as root" >&2; exit 3; }
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
host=$(hostname -s)

if ! (munge -n | unmunge) >/dev/null 2>&1; then
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  runuser -u munge -- /usr/sbin/munged
  pgrep -u munge -n munged > "$dir/munged.pid" || true
  for _ in $(seq 50); do (munge -n | unmunge) >/dev/null 2>&1 && break; sleep 0.1; done
fi

base=$(( 20000 + ($$ % 20000) ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=rltest
SlurmctldHost=$host
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=5
MinJobAge=600
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  if sinfo -h -o %T 2>/dev/null | grep -q idle; then echo "SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 0.2
done
echo "the local Slurm did not come up; see $dir/log" >&2
sinfo >&2 || true
exit 4

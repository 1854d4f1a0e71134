#!/usr/bin/env bash
# scripts/kvm-in-qemu.sh for real: its mistakes (one line, status 2), then
# one boot of the emulated KVM host that runs a real guest on its /dev/kvm,
# sees cgroup v2 and hands back the command's exit status.
# Usage: kvm_in_qemu.sh SOURCE_DIR BUILD_DIR. Exit 77 (skipped) without root
# or QEMU.
set -uo pipefail
src=$1 build=$2
script=$src/scripts/kvm-in-qemu.sh
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "skipped: no qemu-system-x86_64 (scripts/setup.sh installs it)"; exit 77; }

expect_usage() {
  local want=$1
  shift
  local err status
  err=$("$script" "$@" 2>&1 >/dev/null)
  status=$?
  [[ $status -eq 2 ]] || fail "'$*' exited $status, not 2"
  [[ $(wc -l <<< "$err") -eq 1 ]] || fail "'$*' printed more than one line: $err"
  [[ $err == "kvm-in-qemu: $want"* ]] || fail "'$*' said '$err', not 'kvm-in-qemu: $want...'"
}
expect_usage "no command" --
expect_usage "--memory needs a value" --memory
expect_usage "unknown option '--frobnicate'" --frobnicate -- true
expect_usage "--memory 'lots' is not a number" --memory lots -- true
expect_usage "--cpus '0' is not a count" --cpus 0 -- true

before=$(ls /var/tmp | grep -c '^ptv-kvm-in-qemu' || true)
out=$(cd "$build" && PTV_PROBE='a b' "$script" --cpus 2 -- bash -c \
  'test -c /dev/kvm && echo "kvm: yes"; cat /sys/fs/cgroup/cgroup.controllers
   echo "env: $PTV_PROBE in $PWD"; bin/ptv kvm run hello; echo "guest: $?"; exit 7' 2>&1)
status=$?
echo "$out"
[[ $status -eq 7 ]] || fail "the command's exit status 7 came back as $status"
grep -qx "kvm: yes" <<< "$out" || fail "no /dev/kvm in the machine"
grep -q "memory.*pids\|pids.*memory" <<< "$out" || fail "no cgroup v2 memory and pids controllers"
grep -qx "env: a b in $build" <<< "$out" || fail "the variable or the directory did not come through"
grep -q "Hello from a ptvlab guest!" <<< "$out" || fail "the hello guest printed nothing on KVM"
grep -qx "guest: 0" <<< "$out" || fail "ptv kvm run hello did not end with status 0"
after=$(ls /var/tmp | grep -c '^ptv-kvm-in-qemu' || true)
[[ $after -eq $before ]] || fail "a run directory was left in /var/tmp"
pgrep -x qemu-system-x86 >/dev/null && fail "qemu is still running"
echo "kvm-in-qemu: ok"

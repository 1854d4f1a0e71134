#!/usr/bin/env bash
# ctest: the demos of one deck, each run through `ptv demo N --no-pause
# --step K --timeout S` in the deck's order, in a scratch directory.
#   demo_deck.sh PTV DECK plain|kvm [TIMEOUT_S]
# plain: the demos that need no /dev/kvm; each must pass.
# kvm:   the ```sh demo kvm ones. Where /dev/kvm cannot be opened, ptv demo
#        must say each is skipped; the test then exits 77 (ctest: skipped,
#        never passed), or fails with PTV_REQUIRE_KVM=1 (CI on a KVM host).
# Every step ptv demo prints must be the deck's line, as this test reads it.
set -uo pipefail
ptv=$1 deck=$2 mode=$3 timeout=${4:-120}
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$deck" .md)
number=${name%%-*}

mapfile -t steps < <(awk -f "$here/demo_steps.awk" "$deck")
total=${#steps[@]}
[[ $total -gt 0 ]] || { echo "FAIL: $deck has no demo block"; exit 1; }

# /dev/kvm as ptv demo judges it: a character device this user may open
# read-write (tested without opening it: a redirection could create the file).
kvm_ok=0
if [[ -c /dev/kvm && -r /dev/kvm && -w /dev/kvm ]]; then kvm_ok=1; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ptv-demo-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

passed=0 skipped=0
for i in "${!steps[@]}"; do
  k=$((i + 1))
  kind=${steps[$i]%%$'\t'*}
  cmd=${steps[$i]#*$'\t'}
  if [[ $mode == plain && $kind == kvm ]] || [[ $mode == kvm && $kind != kvm ]]; then continue; fi
  out=$("$ptv" demo "$number" --no-pause --step "$k" --timeout "$timeout" 2>&1)
  status=$?
  printf '%s\n' "$out"
  if ! grep -Fxq -- "[$k/$total] \$ $cmd" <<<"$out"; then
    echo "FAIL: ptv demo's step $k of $name is not the deck's line: $cmd"
    exit 1
  fi
  if [[ $status -ne 0 ]]; then
    echo "FAIL: demo $k of $name exited with status $status: $cmd"
    exit 1
  fi
  if [[ $kind == kvm && $kvm_ok -eq 0 ]]; then
    grep -Fxq -- "[$k/$total] skipped: needs /dev/kvm (real guests), which this machine does not have" <<<"$out" ||
      { echo "FAIL: demo $k of $name needs /dev/kvm, which is missing, and ptv demo did not skip it"; exit 1; }
    skipped=$((skipped + 1))
  else
    grep -Eq -- "^\[$k/$total\] ok \(" <<<"$out" || { echo "FAIL: demo $k of $name did not report ok"; exit 1; }
    passed=$((passed + 1))
  fi
done
echo "$name ($mode): $passed passed, $skipped skipped"
if [[ $skipped -gt 0 ]]; then
  if [[ ${PTV_REQUIRE_KVM:-0} == 1 ]]; then
    echo "FAIL: PTV_REQUIRE_KVM=1 but /dev/kvm cannot be opened: $skipped KVM demos of $name did not run"
    exit 1
  fi
  echo "SKIPPED: $skipped KVM demos of $name need /dev/kvm, which this machine does not have"
  exit 77
fi
[[ $passed -gt 0 ]] || { echo "FAIL: no $mode demo of $name ran"; exit 1; }

#!/usr/bin/env bash
# The flagship demo: real guests on real KVM, each in its own ptv-vmwp
# worker process, with their exit tables and a trace to open in Perfetto.
set -uo pipefail
BUILD=${BUILD:-build}
PTV="$BUILD/bin/ptv"
TRACE="$BUILD/demo-trace.json"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
  echo "demo: /dev/kvm is not usable here; the KVM demo needs it (see README)" >&2
  exit 2
fi

say "1. An emulated device: hello prints through a 16550 UART (one exit per byte, plus a status poll)"
"$PTV" kvm run hello || exit $?

say "2. A para-virtualized device: pv-hello prints the same message through the UART, then through a ring in guest RAM and one doorbell"
"$PTV" kvm run pv-hello --trace "$TRACE" || exit $?

say "3. What an exit costs: 100,000 OUTs to the POST-code port"
"$PTV" kvm run pio-loop --cmdline 100000 || exit $?

say "4. A guest fault is an outcome, not a crash: a guest hands the PV console a bad ring"
"$PTV" kvm run fault-pv-bad-ring
echo "(exit status $?: device error)"

say "5. Why x86 needed new techniques: popf under trap-and-emulate, binary translation, VMX and real KVM"
"$PTV" vmm compare popf || exit $?

say "6. PC devices a guest we did not write polls: Debian's grub-invaders on the 8254 PIT, the i8042 keyboard and the VGA text screen (5 s; play it with 'ptv kvm run invaders --console vga')"
"$PTV" kvm run invaders --console vga --timeout 5 </dev/null
echo "(exit status $?: the watchdog ended it; the exit table shows the PIT polled in a loop, the screen's writes cost nothing)"

say "7. The time, two ways: the emulated PIT (3 exits a read) beside the para-virtualized clock page (no exit)"
"$PTV" kvm run clock --cmdline 10000 || exit $?

say "Trace of pv-hello written to $TRACE: open it with 'build/bin/ptv viz $TRACE' or in https://ui.perfetto.dev (a track per vCPU and per device, arrows from each exit to its notification)"

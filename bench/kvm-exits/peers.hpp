// Everything the benchmark runs as a separate process: ptv-vmwp on
// pio-loop (tracing off and on), `ptv kvm run hello`, and QEMU booting the
// same two images. Each function is one trial.
#pragma once

#include <cstdint>
#include <string>

#include "results.hpp"

namespace ptv::bench {

// The build tree: ptv and ptv-vmwp next to this program, the guests in
// ../guests ($PTV_VMWP and $PTV_GUEST_DIR override, as for ptv itself).
struct BuildTree {
    std::string ptv, vmwp, guest_dir;
    std::string guest(const std::string& name) const { return guest_dir + "/" + name + ".bin"; }
};

// Throws ptv::UsageError with one line if a piece is missing.
BuildTree find_build_tree();

// `ptv-vmwp pio-loop.bin --cmdline N --json [--trace TMP --trace-capacity N+16]`:
// the worker's own run-loop time (run_ns) and exit count from its result.
ExitRun run_vmwp(const BuildTree& tree, uint32_t n, bool tracing);

// QEMU's wall time, from fork to exit, booting pio-loop with -append N and
// leaving through isa-debug-exit (exit status 1 = guest status 0).
uint64_t run_qemu_pio_loop(const std::string& qemu, const BuildTree& tree, uint32_t n);

// From just before fork() to the first byte of the guest's serial output,
// booting hello: `ptv kvm run` (which then finishes on its own) and QEMU
// (killed once its 'H' has arrived).
uint64_t ptv_first_serial_byte(const BuildTree& tree);
uint64_t qemu_first_serial_byte(const std::string& qemu, const BuildTree& tree);

// The first line of `qemu --version`.
std::string qemu_version(const std::string& qemu);

}  // namespace ptv::bench

// bench-kvm-exits: what a VM exit costs through ptvlab's worker process, next
// to what it cannot cost less than (a bare KVM_RUN loop on the same guest)
// and next to QEMU; and how long `ptv kvm run` takes to the guest's first
// serial byte, next to QEMU. One run, ratios printed, targets marked; it
// exits 0 whatever the numbers are (a measurement, not a test).
#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>

#include "bare_loop.hpp"
#include "child.hpp"
#include "machine.hpp"
#include "peers.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/vid/kvm.hpp"
#include "report.hpp"
#include "temp_file.hpp"

namespace {

using namespace ptv::bench;

// One progress line on a terminal (stderr), rewritten in place.
class Progress {
  public:
    explicit Progress(unsigned trials) : trials_(trials), on_(::isatty(2)) {}
    ~Progress() {
        if (on_) std::fprintf(stderr, "\r\033[K");
    }
    void step(unsigned trial, const char* what) {
        if (on_) std::fprintf(stderr, "\r\033[Ktrial %u/%u: %s", trial + 1, trials_, what);
    }

  private:
    unsigned trials_;
    bool on_;
};

Results measure(const BuildTree& tree, uint32_t n, unsigned trials, const std::string& qemu) {
    Results r;
    r.exits_n = n;
    r.trials = trials;
    Progress progress(trials);
    // Start-up first, on a quiet machine: right after a run that freed a
    // 64 MiB guest and deleted a 100 MB trace, a process start takes
    // milliseconds longer here, and that is not what this row is about.
    for (unsigned t = 0; t < trials; ++t) {
        progress.step(t, "start-up: ptv kvm run hello");
        r.ptv_startup.add(double(ptv_first_serial_byte(tree)));
        if (qemu.empty()) continue;
        progress.step(t, "start-up: QEMU hello");
        r.qemu_startup.add(double(qemu_first_serial_byte(qemu, tree)));
    }
    // Then the exit round trips. Trials interleave the configurations, so a
    // slow spell of the host spreads over all of them instead of skewing one.
    for (unsigned t = 0; t < trials; ++t) {
        progress.step(t, "bare KVM_RUN loop");
        r.bare_loop.add(run_bare_loop(tree.guest("pio-loop"), n).ns_per_exit());
        progress.step(t, "ptv-vmwp, tracing off");
        r.vmwp_off.add(run_vmwp(tree, n, false).ns_per_exit());
        progress.step(t, "ptv-vmwp, tracing on");
        r.vmwp_on.add(run_vmwp(tree, n, true).ns_per_exit());
        if (qemu.empty()) continue;
        progress.step(t, "QEMU pio-loop, N exits");
        r.qemu_n.add(double(run_qemu_pio_loop(qemu, tree, n)));
        progress.step(t, "QEMU pio-loop, 0 exits");
        r.qemu_0.add(double(run_qemu_pio_loop(qemu, tree, 0)));
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t exits = 200000;
    unsigned trials = 5;
    bool json = false, no_qemu = false;
    CLI::App app{
        "bench-kvm-exits: the PIO exit round trip through ptv-vmwp (tracing off and on) against "
        "a bare KVM_RUN loop and QEMU, and the start-up time of 'ptv kvm run' to the guest's "
        "first serial byte"};
    app.add_option("--exits", exits, "N: port I/O exits per pio-loop run")
        ->check(CLI::Range(1u, 4'000'000'000u))
        ->capture_default_str();
    app.add_option("--trials", trials, "trials per measurement (the median is reported)")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
    app.add_flag("--json", json, "print the results as JSON");
    app.add_flag("--no-qemu", no_qemu, "leave QEMU out");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-kvm-exits");

    remove_temp_file_on_signal();
    try {
        const BuildTree tree = find_build_tree();
        // No /dev/kvm is the user's to fix: say so before measuring anything.
        { const ptv::vid::Kvm probe; }
        Qemu qemu;
        if (no_qemu) {
            qemu.skipped = "--no-qemu";
        } else if (auto path = find_on_path("qemu-system-x86_64")) {
            qemu.path = *path;
            qemu.version = qemu_version(qemu.path);
        } else {
            qemu.skipped = "qemu-system-x86_64 is not on PATH (apt-get install qemu-system-x86)";
        }
        Results r = measure(tree, exits, trials, qemu.path);
        r.machine = read_machine_context();
        r.qemu = qemu;
        if (json)
            std::printf("%s\n", render_json(r).dump(2).c_str());
        else
            std::printf("%s", render_text(r).c_str());
        return 0;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-kvm-exits: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-kvm-exits: measurement failed: %s\n", e.what());
        return 1;
    }
}

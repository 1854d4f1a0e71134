// What one run of the benchmark measured: every trial of every
// configuration, in nanoseconds. Reported as medians (and minimums).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptv::bench {

// One run of pio-loop: the exits it took and the time from the first entry
// into the guest to the end of the last exit.
struct ExitRun {
    uint64_t exits = 0;
    uint64_t run_ns = 0;
    double ns_per_exit() const { return exits ? double(run_ns) / double(exits) : 0.0; }
};

// The trials of one measurement.
struct Series {
    std::vector<double> ns;

    void add(double v) { ns.push_back(v); }
    bool empty() const { return ns.empty(); }
    double median() const {
        if (ns.empty()) return 0;
        std::vector<double> s = ns;
        std::sort(s.begin(), s.end());
        const size_t m = s.size() / 2;
        return s.size() % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
    double min() const { return ns.empty() ? 0 : *std::min_element(ns.begin(), ns.end()); }
};

// The host the numbers came from.
struct MachineContext {
    std::string kernel;                       // uname -r
    std::string arch;                         // uname -m
    std::string cpu_model;                    // /proc/cpuinfo "model name"
    unsigned cpus = 0;                        // online CPUs
    std::string kvm_module;                   // kvm_pvm, kvm_intel, kvm_amd or "unknown"
    std::string kvm_kind;                     // how that module virtualizes, in words
    std::vector<std::string> cpu_virt_flags;  // vmx / svm, if the CPU shows them
};

struct Qemu {
    std::string path;     // "" when not used
    std::string version;  // first line of --version
    std::string skipped;  // why it was not run, "" when it was
};

struct Results {
    uint32_t exits_n = 0;  // N: OUTs per pio-loop run (each run takes N + 1 exits)
    unsigned trials = 0;
    MachineContext machine;
    Qemu qemu;

    // ns per exit round trip
    Series bare_loop, vmwp_off, vmwp_on;
    // QEMU wall time on pio-loop, start to exit, for N and for 0
    Series qemu_n, qemu_0;
    // start of the program to the guest's first serial byte (hello)
    Series ptv_startup, qemu_startup;

    bool have_qemu() const { return qemu.skipped.empty(); }
    // (t(N) - t(0)) / N from the medians: QEMU's cost per exit without its boot.
    double qemu_ns_per_exit() const {
        return exits_n ? (qemu_n.median() - qemu_0.median()) / double(exits_n) : 0.0;
    }
    // Whether N exits took QEMU clearly longer than its boot varies by
    // itself (the spread of t(0)); if not, the row above means nothing.
    bool qemu_exits_resolved() const {
        const double diff = qemu_n.median() - qemu_0.median();
        return diff > 0 && diff > 2 * (qemu_0.median() - qemu_0.min());
    }
};

// The targets (bench/README.md): ptvlab's share of an exit and its start-up.
inline constexpr double kTracingOffTarget = 1.10;  // x the bare loop
inline constexpr double kTracingOnTarget = 1.50;   // x the bare loop
inline constexpr double kStartupTargetNs = 5e6;    // ptv kvm run to first serial byte

}  // namespace ptv::bench

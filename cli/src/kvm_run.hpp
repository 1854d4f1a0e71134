// `ptv kvm run GUEST`: boot a guest in its own ptv-vmwp worker process,
// stream its serial output, and print its outcome and exit table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include <cstddef>
#include <cstdint>

namespace ptv::cli {

struct KvmRunOptions {
    std::string guest;
    uint32_t memory_mib = 64;
    double timeout_s = 0;
    std::string cmdline;
    std::string trace_path;
    size_t trace_capacity = 1u << 20;
    bool allow_unclaimed_mmio = false;
    std::string console = "serial";  // or "vga": the text screen and the i8042 keyboard
    bool json = false;
    bool viz = false;                 // watch the trace live in ptv-viz
    std::string viz_screenshot;       // ... headless: a PNG when the guest stops
    std::string trace_socket;         // stream the trace to `ptv viz --connect PATH`
    std::string dispatch = "inline";  // the worker's dispatch strategy
    std::string disk;                 // the PV disk's image file ("": built in)
    double disk_latency_ms = 0;
    int cpus = 1;  // vCPUs, each a thread of the worker
};

// Returns the exit status (the worker's outcome, see ptv/common/outcome.hpp).
// With `result`, the worker's result (its serial output in "serial") goes
// there instead of to the terminal: nothing is printed but an error line.
int kvm_run(const KvmRunOptions& options, nlohmann::json* result = nullptr);

}  // namespace ptv::cli

// The VM half of `ptv compare container-vs-vm`: the same small workload as
// a ptv VM, each run one worker process (ptv-vmwp) started as `ptv kvm run`
// starts it and timed from here, with the worker's own result beside it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::cli {

// The worker and the guests, found before anything is started.
struct VmPieces {
    std::string worker;   // ptv-vmwp
    std::string hello;    // prints a line and halts: the workload
    std::string counter;  // runs until stopped: the worker measured while it runs
    std::string fault;    // fault-triple: a guest fault
};
// Throws UsageError saying what is missing.
VmPieces find_vm_pieces();

struct WorkerRun {
    nlohmann::json result;        // its "result" or "error" message; null: it died without one
    uint64_t ready_ns = 0;        // spawn to its "started": the machine is built
    uint64_t stopped_ns = 0;      // spawn to its result: the guest has stopped
    uint64_t peak_rss_bytes = 0;  // its VmHWM, read while the guest ran (sample_after_s > 0)
    pid_t pid = -1;
    int wait_status = 0;
};

struct WorkerRunOptions {
    std::string image;
    uint32_t memory_mib = 64;
    std::string cmdline;
    // > 0: this long after "started", read the worker's peak RSS and stop
    // the guest (for a guest that runs until stopped).
    double sample_after_s = 0;
};

// One worker, waited for.
WorkerRun run_worker(const std::string& worker, const WorkerRunOptions& options);

struct VmTrial {
    uint32_t memory_mib = 64;
    std::vector<uint64_t> stopped_ns;  // per run of hello: spawn to the guest's halt
    std::vector<uint64_t> ready_ns;    // ... spawn to the machine built
    std::vector<uint64_t> boot_ns;     // ... the worker's own "startup_ns"
    std::string serial;                // what hello printed
    uint64_t peak_rss_bytes = 0;       // the worker's VmHWM with counter running
    nlohmann::json fault;              // fault-triple's result
};

// `runs` runs of hello, one of counter, one of fault-triple. Throws
// std::runtime_error naming the run that did not end as it must.
VmTrial measure_vm(const VmPieces& pieces, int runs, uint32_t memory_mib);

}  // namespace ptv::cli

// Clients for a server that is a guest: C closed-loop clients send file
// requests to a worker process (ptv-vmwp) running a server guest, over the
// worker's request port (--requests-fd: a stream socket carrying
// "ID GET NAME\n" and, back, "ID STATUS LENGTH\n" followed by LENGTH
// bytes), which puts them on the guest's host request ring. Every answer is
// checked byte for byte against the file it names. When the time is up the
// clients stop, one "ID QUIT" tells the guest there are no more, and the
// worker's result (the guest's outcome, its exit table) comes back too.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/servers/kvm/file_disk.hpp"

namespace ptv::servers::kvm {

struct GuestLoadOptions {
    std::string worker;   // the ptv-vmwp binary
    std::string image;    // the server guest
    std::string cmdline;  // its command line (the architecture)
    std::string disk;     // its PV disk image (file_disk_image)
    int disk_latency_ms = 0;
    std::string dispatch = "event";  // the worker's back end
    std::vector<DiskFile> files;     // what the disk holds, to check answers against
    int clients = 8;
    double duration_s = 2;
    double timeout_s = 10;  // an answer later than this is an error
    uint64_t seed = 1;
};

struct GuestLoadResult {
    uint64_t completed = 0;   // answered in full and right
    uint64_t errors = 0;      // a wrong status, wrong bytes, or no answer in time
    std::string first_error;  // what the first one was
    double duration_s = 0;
    std::vector<uint64_t> latencies_ns;  // sorted ascending
    nlohmann::json worker;               // the worker's result (null if it gave none)
    double throughput() const { return duration_s > 0 ? double(completed) / duration_s : 0; }
    double latency_ms(double p) const;  // nearest rank
};

// Throws ptv::UsageError when the worker cannot be started.
GuestLoadResult run_guest_load(const GuestLoadOptions& o);

}  // namespace ptv::servers::kvm

// One VM as the service keeps it (the Virtual Machine Manager's record):
// its configuration and last known state, persisted as STATE/vms/NAME/vm.json,
// and what the running service knows about its worker besides.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ptv/worker/control.hpp"
#include "vm_state.hpp"

namespace ptv::vmms {

// A client waiting for the answer to a request that takes a while.
struct Pending {
    int client = -1;
    std::string op;
};

// The wall clock of the record's times (vm.json outlives the service).
int64_t unix_ms();

struct Vm {
    // Configuration (vm create).
    std::string name, guest, restart = "never", cmdline, test_fault;
    uint32_t memory_mib = 64;
    int id = 0;  // the VM's pid in the trace

    // State, persisted.
    VmState state = VmState::Stopped;
    pid_t pid = 0;
    int64_t started_unix_ms = 0;
    unsigned restarts = 0;
    std::vector<int64_t> restart_times_ms;  // of the last minute: the crash-loop cap
    unsigned consecutive_failures = 0;      // the back-off exponent
    std::string last_exit;                  // why the last worker ended
    std::string last_snapshot;              // restarts start from it

    // The worker, while the service runs.
    int pidfd = -1, conn = -1;
    bool child = false;  // spawned by this service (else adopted: no exit status)
    std::unique_ptr<worker::MessageReader> reader;
    bool stop_requested = false;
    std::string restore_next;  // snapshot the next worker starts from
    bool start_paused = false;
    std::string busy;                     // the operation in progress, "" when none
    std::optional<Pending> waiting;       // its client
    std::map<int64_t, Pending> requests;  // worker request id -> client
    uint64_t restart_at_ns = 0;           // a scheduled restart (monotonic)
    uint64_t op_start_ns = 0;
    uint64_t exits = 0, exits_t_ns = 0;
    double exits_per_s = 0;
    std::string memory_hash;  // from the last pause
    std::string said;         // the worker's error or result message
    // Live migration: the listening socket of a VM being received, the
    // accepted stream until its worker has it, and where a VM that left
    // went (its record goes with its worker).
    int incoming_listen = -1, incoming_conn = -1;
    std::string migrated_to;

    // Moves the VM by transition(); "" when done, else the refusal (the
    // state is left as it was).
    std::string apply(VmEvent event);

    nlohmann::json to_json() const;  // what vm.json holds
    static Vm from_json(const nlohmann::json& j);
};

}  // namespace ptv::vmms

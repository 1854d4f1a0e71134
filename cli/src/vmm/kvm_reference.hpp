// The `kvm` column of `ptv vmm compare`: the same guest on the real KVM
// hypervisor, in a ptv-vmwp worker process, with its final state.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ptv/vmm/run.hpp"

namespace ptv::cli {

struct KvmReference {
    bool available = false;
    std::string why_not;    // when not available
    nlohmann::json result;  // the worker's result (outcome, exits, serial, final_state)
    std::optional<vmm::FinalState> final_state;
};

// Runs ptv-vmwp --json on the guest; never throws for a missing /dev/kvm
// (the column says why instead).
// `timeout_s`: the worker's watchdog, for guests that never end.
KvmReference run_on_kvm(const vmm::RunOptions& options, double timeout_s = 5);

}  // namespace ptv::cli

// The Virtual Machine Manager: the table of VMs by name and its persistence
// in the state directory (STATE/vms/NAME/vm.json, written to a temporary
// name and renamed), so that a service started later finds every VM.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "vm.hpp"

namespace ptv::vmms {

// A VM or snapshot name: letters, digits, '.', '_', '-', up to 64,
// starting with a letter or digit (never a temporary directory's name).
bool valid_name(const std::string& name);

class VmTable {
  public:
    using Log = std::function<void(const std::string&)>;
    VmTable(std::string state_dir, Log log)
        : state_dir_(std::move(state_dir)), log_(std::move(log)) {}

    // Reads every STATE/vms/NAME/vm.json (a damaged one is logged and left
    // out) and removes snapshots left half-written by a worker that died.
    void load();

    // A new VM from a `create` request; on a mistake in it, nullptr and
    // `error` set to the answer.
    Vm* create(const nlohmann::json& request, nlohmann::json& error);
    // Removes the VM and its directory (snapshots included).
    void remove(const std::string& name);

    Vm* find(const std::string& name);
    std::map<std::string, Vm>& all() { return vms_; }

    // Writes the VM's vm.json (a failure is logged: the VM goes on).
    void save(const Vm& vm) const;

    std::string vm_dir(const Vm& vm) const { return state_dir_ + "/vms/" + vm.name; }
    std::string snap_dir(const Vm& vm, const std::string& snapshot) const {
        return vm_dir(vm) + "/snapshots/" + snapshot;
    }

  private:
    std::string state_dir_;
    Log log_;
    std::map<std::string, Vm> vms_;
    int next_vm_id_ = 1;
};

}  // namespace ptv::vmms

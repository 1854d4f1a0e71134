// The vCPUs of one VM, each a kernel thread of the worker running its own
// VcpuLoop (the one-to-one model: a guest CPU is a host thread the host
// kernel schedules). The boot CPU runs on the thread that calls run(); the
// application processors on threads of their own.
//
// How their verdicts make the VM's outcome, as on a real machine: a vCPU
// that halts with interrupts off stops, and the VM halts when every vCPU
// has; anything else that ends one vCPU's run (the debug-exit port, a fault,
// a device error) ends the VM at once, and the outcome names that vCPU.
// With one vCPU this is exactly that vCPU's loop.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ptv/portmap.h"
#include "ptv/worker/vcpu_loop.hpp"

namespace ptv::worker {

class VcpuGroup {
  public:
    VcpuGroup(VirtualMachine& vm, double timeout_s);

    // The boot CPU's loop: control requests (pause, snapshot, migration)
    // are carried out on its thread.
    VcpuLoop& boot_cpu() { return *loops_[0]; }

    // Runs every vCPU the machine has until the VM's verdict. Called once,
    // after the machine is built.
    vnd::Verdict run();
    // The vCPU whose verdict ended the VM (0 with one vCPU, or when every
    // vCPU halted or the run was ended from outside).
    uint32_t deciding_vcpu() const { return deciding_; }

    // Ends every vCPU's run from outside (see VcpuLoop::end); the first
    // form is async-signal-safe.
    void end(VcpuLoop::End why);
    void end(VcpuLoop::End why, const std::string& message);

    uint64_t exits() const;
    uint64_t blocks() const;

  private:
    // One vCPU's verdict; true when it is the VM's.
    bool settle(uint32_t vcpu, vnd::Verdict verdict);

    VirtualMachine& vm_;
    const double timeout_s_;
    // A fixed array, so that end() from a signal handler never sees it
    // move: [0] exists from the start, the others from run() on.
    std::array<std::unique_ptr<VcpuLoop>, PTV_MAX_VCPUS> loops_;
    std::atomic<uint32_t> count_{1};
    std::atomic<bool> from_outside_{false};

    std::mutex lock_;  // the fields below
    std::optional<vnd::Verdict> verdict_;
    uint32_t deciding_ = 0;
    uint32_t halted_ = 0;
};

}  // namespace ptv::worker

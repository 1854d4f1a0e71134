// The vCPU loop (Firecracker's vcpu): one thread runs one vCPU, exit after
// exit, through the notification dispatcher and the exit policy, until a
// verdict ends the run. Other threads reach the vCPU only through requests
// (post) carried out between two exits, after the exit in progress has
// completed, so KVM's vCPU state is touched by one thread and only in a
// state between two instructions.
//
// States: Running (in the guest or about to be), Paused (waiting for
// requests; the guest does not run), Finished (a verdict was reached; no
// request runs any more).
//
// Block/wake: HLT with interrupts on means "wait for an interrupt". While
// the guest has an event channel bound, the loop parks the vCPU's thread
// there until an event is pending for this vCPU (a device finished work it
// asked for), a request comes or the run ends; with none bound no event can
// come, and the wait is over at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "ptv/devices/event_channel.hpp"
#include "ptv/vnd/exit_policy.hpp"
#include "ptv/worker/virtual_machine.hpp"

namespace ptv::worker {

class VcpuLoop {
  public:
    enum class State : uint8_t { Running, Paused, Finished };
    // Why a run ends from outside the guest.
    enum class End : uint8_t { None, Timeout, Stop, Migrated, Lost, DeviceFault };

    // Runs vCPU `cpu` of `vm`. `timeout_s`: the watchdog's limit, for the
    // timeout's message.
    VcpuLoop(VirtualMachine& vm, double timeout_s, uint32_t cpu = 0);

    // On the vCPU thread: runs the guest until the verdict.
    vnd::Verdict run();

    // Any thread: `job` runs on the vCPU thread between two exits.
    void post(std::function<void()> job);
    // On the vCPU thread (inside a job): the guest stays out until resumed.
    void set_paused(bool paused);
    // Ends the run from outside. Without a message it is async-signal-safe
    // (Ctrl-C, the watchdog); Migrated, Lost and DeviceFault (a device
    // found the guest's misuse off the vCPU's thread) carry theirs.
    void end(End why);
    void end(End why, std::string message);

    State state() const { return state_.load(); }
    uint64_t exits() const { return exits_.load(std::memory_order_relaxed); }
    // HLTs that parked the vCPU until an event came.
    uint64_t blocks() const { return blocks_.load(std::memory_order_relaxed); }

  private:
    void run_jobs();
    void kick();
    void wait_for_event();
    std::optional<vnd::Verdict> ended();

    VirtualMachine& vm_;
    const double timeout_s_;
    const uint32_t cpu_;
    std::atomic<State> state_{State::Running};
    std::atomic<End> end_{End::None};
    std::atomic<uint64_t> exits_{0};
    std::atomic<uint64_t> blocks_{0};
    devices::EventChannel& events_;

    std::mutex lock_;  // jobs_ and end_message_
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    std::atomic<bool> jobs_waiting_{false};
    std::string end_message_;
};

}  // namespace ptv::worker

// The worker process as a server (Tanenbaum & van Steen ch. 3): its
// clients are the guest's device requests. This is where the design of the
// server is chosen (--dispatch: inline, the iterative server; pool:N, the
// dispatcher/worker model of Fig. 3-3; event, the finite-state machine of
// one event loop), where the PV disk gets its store and its latency, and
// where completions find their way back to the guest: through the event
// channel, which wakes the vCPU that asked (block/wake, as Xen's event
// channels do, with no interrupt needed).
//
// A strategy that has threads of its own takes the guest's doorbells
// without an exit: each device doorbell becomes a KVM ioeventfd whose
// eventfd the strategy waits on. Inline takes none: ringing is an exit
// served on the vCPU's thread.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/vid/kvm.hpp"
#include "ptv/vmb/device.hpp"
#include "ptv/vnd/dispatch_strategy.hpp"
#include "ptv/worker/virtual_machine.hpp"

namespace ptv::worker {

struct BackEndConfig {
    std::string dispatch = "inline";  // vnd::make_strategy's names
    std::string disk_path;            // the PV disk's image file; "": the built-in disk
    double disk_latency_ms = 0;       // each request's wait, before its transfer
};

class BackEnd {
  public:
    // Checks a configuration without building anything (no KVM needed):
    // throws ptv::UsageError with one line for a bad strategy, a disk file
    // that cannot be used, or a latency out of range.
    static void check(const BackEndConfig& config);

    // Builds the strategy, attaches the disk and routes the machine's
    // completions to its event channel. Nothing runs until start().
    BackEnd(VirtualMachine& vm, const BackEndConfig& config);
    ~BackEnd();
    BackEnd(const BackEnd&) = delete;
    BackEnd& operator=(const BackEnd&) = delete;

    // Registers the doorbells (as ioeventfds, if the strategy takes them and
    // the host can) and starts the strategy's threads. `on_stop` ends the
    // run when a device finds, off the vCPU's thread, that the guest
    // misused it.
    using StopHandler = std::function<void(const vmb::StopRequest&)>;
    void start(StopHandler on_stop);
    // With the vCPU paused (a checkpoint): serves doorbells the guest rang
    // that no thread has looked at yet, then waits for every job in
    // flight.
    void quiesce();
    // Waits for the jobs in flight, stops the threads, takes the doorbells
    // back. Harmless twice.
    void stop();

    // {"dispatch", "ioeventfd", "jobs", "max_waiting", "disk", "latency_ms",
    //  "pv_disk": {...}, "event_channel": {...}}
    nlohmann::json report() const;

  private:
    struct Bell {
        vmb::Doorbell doorbell;
        uint16_t target;
        vid::Fd eventfd;
    };
    void ring(Bell& bell, uint64_t rings);

    VirtualMachine& vm_;
    BackEndConfig config_;
    std::unique_ptr<vnd::DispatchStrategy> strategy_;
    std::string disk_name_;
    std::vector<std::unique_ptr<Bell>> bells_;
    StopHandler on_stop_;
    bool running_ = false;
    bool ioeventfd_ = false;  // some doorbell rang without an exit
};

}  // namespace ptv::worker

// What a device may ask of the machine it sits in: its guest RAM (for
// para-virtualized devices that share memory with the guest), a console to
// write to, and a way to tell the guest that earlier work is done. (A stop
// is not asked here: it is the answer to the access, see device.hpp.)
// Implemented by the worker process, and by tests and the simulator.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "ptv/common/clock.hpp"
#include "ptv/vmb/device.hpp"

namespace ptv::vmb {

// Work a device finished asynchronously. `notification` is the id of the
// notification that started it (Notification::id; 0 for work the guest did
// not ask for, such as received input). `event` is the device's own word
// for what happened (an event-page bit, a vector).
struct Completion {
    uint16_t device = 0;  // index on the motherboard
    uint64_t notification = 0;
    uint32_t event = 0;
    uint32_t vcpu = 0;  // the vCPU to tell (the one that asked)
};

// Work a device starts now and finishes later (a disk request): first
// `latency_ns` of waiting (the disk's seek and rotation), then `run` (the
// transfer, the used-ring entry, the completion). On which thread it waits
// and runs is the dispatch strategy's choice (vnd/dispatch_strategy.hpp):
// the vCPU's own (inline), a worker of a pool, or an event loop's timer.
// `run` must be safe on any thread.
struct IoJob {
    uint64_t latency_ns = 0;
    std::function<void()> run;
};

class Machine {
  public:
    virtual ~Machine() = default;
    // Guest-physical RAM, starting at address 0.
    virtual std::span<uint8_t> ram() = 0;
    // A device wrote guest RAM itself (not through the vCPU): KVM's dirty
    // log does not see such writes, so a live migration must be told (as
    // QEMU's devices call cpu_physical_memory_set_dirty).
    virtual void mark_dirty(uint64_t /*gpa*/, uint64_t /*bytes*/) {}
    // Guest console output (UART and PV console both end up here).
    virtual void console_write(std::string_view bytes) = 0;
    // The completion half of a notification: a device finished, after the
    // vCPU resumed, work that an earlier exit started, and the guest must
    // learn of it. Any thread may call it. The machine traces it (linked to
    // the notification it completes) and hands it to its guest notifier.
    virtual void complete(const Completion& completion) = 0;
    // Hands the machine a job to wait for and run (see IoJob). The default
    // waits and runs it on the calling thread, which is the iterative
    // server's way: the vCPU that rang stalls for the disk.
    virtual void submit(IoJob job);
    // The machine's time in nanoseconds, the time base of its clock devices
    // (the 8254 PIT counts at 1.193182 MHz of it, the PV clock page shows
    // it): the host's CLOCK_MONOTONIC on KVM, so a guest's delay loops take
    // real time, and the model's own time in the CPU model, so a run there
    // is the same every time. Any thread may call it.
    virtual uint64_t now_ns() const { return ptv::now_ns(); }
};

}  // namespace ptv::vmb

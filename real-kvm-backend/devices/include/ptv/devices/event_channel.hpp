// The event channel: Xen's event-channel bits in the shared-info page, in
// miniature. A guest binds a page of its own RAM (a 32-bit OUT of its
// address to PTV_EVTCHN_PORT; 0 unbinds it, a read gives it back); the host
// then tells vCPU c that work it asked for is done by setting bit e of
// pending[c] on that page with an atomic OR (post), and wakes vCPU c if it
// is blocked. The guest takes the bits with XCHG and blocks with "sti; hlt"
// while none is pending: block/wake without an interrupt (Xen's
// SCHEDOP_block, the lecture's blocking receive).
//
// Page layout: ptv/portmap.h (PTV_EVTCHN_OFF_*): u32 pending[PTV_MAX_VCPUS]
// at +0, the host's u32 posts[PTV_MAX_VCPUS] at +0x20.
//
// Threads: post() comes from whichever thread finished the work (a pool
// worker, an event loop, the vCPU itself); wait() runs on the vCPU's own
// thread while its guest is halted; interrupt() from whoever ends the run.
// The wake-up cannot be lost: wait() checks the page under the device's
// mutex, inside the condition variable's predicate, and post() sets the bit
// before it takes that mutex to notify, so a post that lands between the
// check and the sleep is seen by the predicate (the monitor pattern).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>

#include "ptv/portmap.h"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class EventChannel : public vmb::Device {
  public:
    explicit EventChannel(vmb::Machine& m);

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "event-channel"; }
    std::string_view kind() const override { return "paravirtual"; }
    // Reading the port gives the bound page's address (0: none).
    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override;

    bool bound() const;
    // Sets bit `event` of pending[vcpu], counts it in posts[vcpu], and wakes
    // that vCPU's waiter. Any thread. Unbound, a vCPU >= PTV_MAX_VCPUS or an
    // event >= 32: dropped (counted), nothing written.
    void post(uint32_t vcpu, uint32_t event);
    // pending[vcpu] as the page has it now (0 when unbound).
    uint32_t pending(uint32_t vcpu) const;
    // On vCPU `vcpu`'s thread: true as soon as an event is pending for it
    // (at once if one already is), false on interrupt() or after `timeout`.
    bool wait(uint32_t vcpu, std::chrono::nanoseconds timeout);
    // Wakes every waiter: the run is ending, or a request came for it. It
    // is not lost on a vCPU that is not waiting yet: that vCPU's next
    // wait() returns false at once, so an interrupt() that races the
    // caller's own check of its stop flag cannot leave it asleep.
    void interrupt();

    struct Stats {
        uint64_t posts;    // events set on the page
        uint64_t dropped;  // posts with no page, vCPU or event to set
        uint64_t waits;    // wait() calls that had to sleep
        uint64_t wakes;    // of those, woken by a post
    };
    Stats stats() const;

    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    vmb::Response fail(std::string message) const;
    uint32_t pending_locked(uint32_t vcpu) const;

    vmb::Machine& machine_;
    mutable std::mutex lock_;
    std::condition_variable wake_;
    uint64_t page_ = 0;        // guest-physical; 0: unbound
    uint64_t interrupts_ = 0;  // interrupt() calls so far
    // interrupts_ as each vCPU's last wait() saw it.
    std::array<uint64_t, PTV_MAX_VCPUS> interrupts_seen_{};
    Stats stats_{};
};

}  // namespace ptv::devices

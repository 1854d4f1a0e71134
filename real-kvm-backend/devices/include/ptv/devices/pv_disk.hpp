// The asynchronous para-virtualized disk: virtio-blk's split rings in
// miniature. The guest puts requests on a request ring in its own RAM and
// rings a doorbell; the device takes them and starts each as a job
// (vmb::IoJob) that the machine's dispatch strategy waits for and runs
// where its design says -- on the vCPU (an iterative server), on a pool's
// worker (Fig. 3-3's dispatcher/worker model) or from an event loop. A job
// moves the sectors, writes the request's entry on the used ring and
// completes it (vmb::Machine::complete), which the machine turns into event
// PTV_EVT_PVDISK on the event channel for the vCPU that asked.
//
// Ports (ptv/portmap.h): PTV_PVDISK_QUEUE_PORT (offset 0) takes the queue's
// guest-physical address with a 32-bit OUT (0 detaches it; a read gives it
// back); PTV_PVDISK_NOTIFY_PORT (offset 4) is the doorbell, whose value is
// ignored: a host that can takes it as a KVM ioeventfd (doorbells()), and
// then write() comes from the strategy's thread, not the vCPU's.
//
// Everything in the queue comes from the guest and is read once: the ring
// indices on each doorbell, a request's fields when it is taken. The
// device keeps its own copies of the indices it advances (req_tail,
// used_head; virtio's last_avail_idx), so a guest that scribbles on them
// cannot make it take a request twice. Indices that claim more than `size`
// entries, or a queue with a bad magic, size or place, stop the run with a
// DeviceError; a bad request completes with an error status.
//
// Back-pressure: a request is taken only while its completion is sure to
// find room on the used ring (used entries not yet consumed + requests in
// flight < size); the rest wait on the request ring until the next doorbell.
// Nothing is dropped.
//
// Threads: every method may run on any thread. One mutex guards the
// device's state; it is never held while a job waits or runs its transfer,
// nor while the machine is handed a job or a completion.
//
// The CPU model (sim/vmm) runs each job at once, inside the doorbell's
// exit, at no model time: it has no wall clock to wait on.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "ptv/devices/disk_image.hpp"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class PvDisk : public vmb::Device {
  public:
    explicit PvDisk(vmb::Machine& machine);

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "pv-disk"; }
    std::string_view kind() const override { return "paravirtual"; }
    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override;
    // The notify port, at offset 4.
    std::vector<vmb::Doorbell> doorbells() const override;

    // The store and the time each request waits before its transfer (a
    // disk's seek and rotation). By default: DiskImage::simulated(), 0.
    void attach(std::shared_ptr<DiskImage> disk, uint64_t latency_ns);
    const DiskImage& disk() const { return *disk_; }

    struct Stats {
        uint64_t requests;       // taken from the request ring
        uint64_t completions;    // put on the used ring
        uint64_t errors;         // of those, with a status other than OK
        uint64_t ring_passes;    // doorbells that found a queue and looked at it
        uint64_t held_back;      // passes that left requests for want of used-ring room
        uint64_t max_in_flight;  // most requests taken and not yet completed at once
        uint64_t ignored;        // doorbells with no queue set
    };
    Stats stats() const;
    uint64_t queue() const;
    uint64_t in_flight() const;

    // The queue's address and the device's indices, and every request taken
    // but not completed; load_state() (after attach()) starts those again.
    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    // A request as taken from the ring: its fields, read once.
    struct Request {
        uint32_t op, lba, count, buffer, id, vcpu;
    };
    vmb::Response fail(std::string message) const;
    // Why the queue at `gpa` cannot be used (nullopt: it can).
    std::optional<std::string> check_queue(uint64_t gpa, uint32_t* size) const;
    vmb::Response bind(uint32_t gpa);
    vmb::Response notify();
    void start(uint64_t seq, const Request& r);
    uint32_t serve(const Request& r);  // the transfer; returns the status
    void finish(uint64_t seq, uint64_t generation, const Request& r, uint32_t status);

    vmb::Machine& machine_;
    uint16_t device_index_ = 0;
    mutable std::mutex lock_;
    std::shared_ptr<DiskImage> disk_;
    uint64_t latency_ns_ = 0;
    uint64_t queue_ = 0;  // guest-physical; 0: none
    uint32_t size_ = 0;
    uint32_t req_tail_ = 0;  // the device's own copies of the indices it owns
    uint32_t used_head_ = 0;
    uint64_t generation_ = 0;  // bumped when the queue changes: older jobs complete nowhere
    uint64_t next_seq_ = 0;
    std::map<uint64_t, Request> in_flight_;  // taken, not completed, by the order taken
    Stats stats_{};
};

}  // namespace ptv::devices

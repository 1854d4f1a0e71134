// The host request ring: the PV disk's split rings turned round, so that the
// guest is the server and the host's clients send it requests. The host
// puts a request on a ring in guest RAM and tells the guest's listener vCPU
// through the event channel (event PTV_EVT_HOST_RING); the guest answers on
// a response ring and rings a doorbell, and the device hands each answer
// to the client that asked. The request/reply pair of the lecture's
// client-server model (Tanenbaum & van Steen, ch. 3), over shared memory:
// requests go out as one-way messages and the answers are matched to their
// requests by a tag, so a client never waits for another's.
//
// Ports (ptv/portmap.h, "Host request ring"): PTV_HOSTRING_QUEUE_PORT
// (offset 0) takes the queue's guest-physical address with a 32-bit OUT (0
// detaches it; a read gives it back); PTV_HOSTRING_NOTIFY_PORT (offset 4)
// is the guest's doorbell, whose value is ignored: a host that can takes it
// as a KVM ioeventfd (doorbells()), and then write() comes from the
// dispatch strategy's thread, not the vCPU's.
//
// What the guest hands over is checked and read once: the queue's header
// when it is bound (magic, size, vcpu, and req_head == resp_tail: a fresh
// queue claims no request the host never put), and on each doorbell the
// two indices the guest owns (req_tail, resp_head) and each response's
// four fields. The device keeps its own copies of the indices it owns
// (req_head, resp_tail), so a guest that scribbles on them cannot make it
// take a response twice; it publishes resp_tail only after the clients'
// callbacks have run, so a guest that sees its responses taken knows they
// were delivered. Every misuse ends the run with a DeviceError:
// indices claiming more entries than were put, a queue with a bad place,
// magic, size or vcpu, a response whose id is not outstanding, whose
// buffer lies outside RAM or whose length exceeds PTV_HOSTRING_MAX_RESPONSE.
//
// Back-pressure: a request goes on the ring only while fewer than `size`
// are unanswered (so each answer is sure of room on the response ring);
// the rest wait in the host's FIFO, in the order sent, and go on the ring
// as answers free room. Requests sent before any queue is bound wait there
// too. Detaching (or replacing) the queue puts its unanswered requests
// back at the head of the FIFO, in their order: nothing is lost.
//
// Threads: every method may run on any thread. One mutex guards the
// device's state; it is never held while a client's callback runs or while
// the machine is told of new requests.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class HostRing : public vmb::Device {
  public:
    // A client's request: an op (PTV_HOSTRING_OP_*) and up to
    // PTV_HOSTRING_REQ_DATA_MAX bytes of data (for OP_GET, a file's name).
    struct Request {
        uint32_t op = 0;
        std::string data;
    };
    // The guest's answer: its status (PTV_HOSTRING_S_*, or whatever the
    // guest wrote) and the bytes it pointed at.
    struct Answer {
        uint32_t status = 0;
        std::vector<uint8_t> bytes;
    };
    using Done = std::function<void(Answer)>;

    explicit HostRing(vmb::Machine& machine);

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "host-ring"; }
    std::string_view kind() const override { return "paravirtual"; }
    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override;
    // The doorbell, at offset 4.
    std::vector<vmb::Doorbell> doorbells() const override;

    // The host side, any thread: puts `request` on the ring (or in the FIFO
    // behind the ones waiting) and calls `done` with the guest's answer,
    // on the thread that takes it (the doorbell's), without the device's
    // mutex held. Throws std::invalid_argument for data longer than
    // PTV_HOSTRING_REQ_DATA_MAX bytes (nothing is sent).
    void send(Request request, Done done);

    struct Stats {
        uint64_t requests;         // put on the request ring
        uint64_t responses;        // taken from the response ring
        uint64_t errors;           // of those, with a status other than S_OK
        uint64_t max_outstanding;  // most requests on the ring unanswered at once
        uint64_t held_back;        // sends that had to wait in the host's FIFO
        uint64_t ignored;          // doorbells with no queue bound
    };
    Stats stats() const;
    uint64_t queue() const;
    size_t outstanding() const;  // on the ring, unanswered
    size_t waiting() const;      // in the host's FIFO

    // The queue and the device's indices. Clients' callbacks cannot be
    // recorded: with requests unanswered or waiting, save_state() throws
    // std::runtime_error saying so.
    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    struct Pending {
        Request request;
        Done done;
    };
    using Delivery = std::pair<Done, Answer>;

    vmb::Response fail(std::string message) const;
    // Why the queue at `gpa` cannot be used (nullopt: it can).
    std::optional<std::string> check_queue(uint64_t gpa, uint32_t* size) const;
    vmb::Response bind(uint32_t gpa);
    vmb::Response notify();
    // Under the mutex: the unanswered requests back to the FIFO's head.
    void requeue_locked();
    // Under the mutex: requests from the FIFO onto the ring while there is
    // room; returns how many went.
    size_t put_waiting_locked();
    void tell_guest(size_t put, uint32_t vcpu);
    static void deliver(std::vector<Delivery>& answers);

    vmb::Machine& machine_;
    uint16_t device_index_ = 0;
    mutable std::mutex lock_;
    uint64_t queue_ = 0;  // guest-physical; 0: none
    uint32_t size_ = 0;
    uint32_t vcpu_ = 0;        // the listener, as the header said at bind
    uint32_t req_head_ = 0;    // the device's own copies of the indices it owns
    uint32_t resp_tail_ = 0;   //
    uint32_t next_tag_ = 1;    // the ring's `id` for the next request put
    uint64_t generation_ = 0;  // bumped when the queue changes
    std::vector<std::pair<uint32_t, Pending>> outstanding_;  // by tag, in the order put
    std::deque<Pending> waiting_;                            // the host's FIFO
    Stats stats_{};
};

}  // namespace ptv::devices

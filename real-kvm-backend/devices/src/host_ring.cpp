#include "ptv/devices/host_ring.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "ptv/portmap.h"
#include "split_ring.hpp"

namespace ptv::devices {

namespace {

using namespace split_ring;

const QueueLayout kLayout{
    PTV_HOSTRING_QUEUE_PORT, PTV_HOSTRING_MAGIC,   "HRQ1",
    PTV_HOSTRING_MAX_SIZE,   PTV_HOSTRING_OFF_REQ, PTV_HOSTRING_REQ_SIZE + PTV_HOSTRING_RESP_SIZE};

uint64_t queue_bytes(uint32_t size) {
    return kLayout.bytes(size);
}

}  // namespace

HostRing::HostRing(vmb::Machine& machine) : machine_(machine) {}

void HostRing::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_HOSTRING_QUEUE_PORT, PTV_HOSTRING_SIZE, *this);
    device_index_ = board.find(vmb::Space::Pio, PTV_HOSTRING_QUEUE_PORT)->device_index;
}

std::vector<vmb::Doorbell> HostRing::doorbells() const {
    return {{vmb::Space::Pio, PTV_HOSTRING_NOTIFY_PORT, 4,
             PTV_HOSTRING_NOTIFY_PORT - PTV_HOSTRING_QUEUE_PORT}};
}

void HostRing::read(vmb::Space, uint64_t offset, std::span<uint8_t> data) {
    read_ports(queue(), offset, data);
}

vmb::Response HostRing::fail(std::string message) const {
    return device_error(name(), std::move(message));
}

vmb::Response HostRing::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    if (offset == PTV_HOSTRING_NOTIFY_PORT - PTV_HOSTRING_QUEUE_PORT) return notify();
    if (auto why = bad_queue_write(offset, data.size(), kLayout)) return fail(*why);
    return bind(load32(data.data()));
}

std::optional<std::string> HostRing::check_queue(uint64_t gpa, uint32_t* size_out) const {
    return split_ring::check_queue(machine_.ram(), gpa, kLayout, size_out);
}

void HostRing::requeue_locked() {
    for (auto it = outstanding_.rbegin(); it != outstanding_.rend(); ++it)
        waiting_.push_front(std::move(it->second));
    outstanding_.clear();
}

vmb::Response HostRing::bind(uint32_t gpa) {
    size_t put = 0;
    uint32_t vcpu = 0;
    {
        std::lock_guard lock(lock_);
        requeue_locked();  // an earlier queue's requests go on the new one
        ++generation_;
        queue_ = 0;
        size_ = 0;
        if (gpa == 0) return {};
        uint32_t size = 0;
        if (auto why = check_queue(gpa, &size)) return fail(*why);
        uint8_t* q = machine_.ram().data() + gpa;
        const uint32_t listener = load32(q + PTV_HOSTRING_OFF_VCPU);
        const uint32_t req_head = load_index(q + PTV_HOSTRING_OFF_REQ_HEAD);
        const uint32_t resp_tail = load_index(q + PTV_HOSTRING_OFF_RESP_TAIL);
        if (listener >= PTV_MAX_VCPUS)
            return fail(
                fmt::format("queue at {:#x} names vCPU {} as its listener; there are at "
                            "most {}",
                            gpa, listener, PTV_MAX_VCPUS));
        if (req_head != resp_tail)
            return fail(fmt::format(
                "queue at {:#x} is bound with req_head {} and resp_tail {}: it claims {} "
                "unanswered requests the host never put; start with the two equal",
                gpa, req_head, resp_tail, req_head - resp_tail));
        queue_ = gpa;
        size_ = size;
        vcpu_ = listener;
        // The device's indices start where the guest set them up.
        req_head_ = req_head;
        resp_tail_ = resp_tail;
        put = put_waiting_locked();
        vcpu = vcpu_;
    }
    tell_guest(put, vcpu);
    return {};
}

size_t HostRing::put_waiting_locked() {
    if (!queue_) return 0;
    uint8_t* q = machine_.ram().data() + queue_;
    size_t put = 0;
    while (!waiting_.empty() && req_head_ - resp_tail_ < size_) {
        Pending p = std::move(waiting_.front());
        waiting_.pop_front();
        // A tag no unanswered request has (after 2^32 requests the counter
        // comes round again, possibly to one still out).
        auto taken = [&](uint32_t tag) {
            return std::any_of(outstanding_.begin(), outstanding_.end(),
                               [tag](const auto& o) { return o.first == tag; });
        };
        while (taken(next_tag_)) ++next_tag_;
        const uint32_t tag = next_tag_++;
        const uint64_t off =
            PTV_HOSTRING_OFF_REQ + uint64_t(req_head_ & (size_ - 1)) * PTV_HOSTRING_REQ_SIZE;
        uint8_t* e = q + off;
        store32(e + PTV_HOSTRING_REQ_ID, tag);
        store32(e + PTV_HOSTRING_REQ_OP, p.request.op);
        store32(e + PTV_HOSTRING_REQ_LENGTH, uint32_t(p.request.data.size()));
        store32(e + PTV_HOSTRING_REQ_LENGTH + 4, 0);  // reserved
        std::memset(e + PTV_HOSTRING_REQ_DATA, 0, PTV_HOSTRING_REQ_DATA_MAX);
        std::memcpy(e + PTV_HOSTRING_REQ_DATA, p.request.data.data(), p.request.data.size());
        // The entry before the index that publishes it (release).
        store_index(q + PTV_HOSTRING_OFF_REQ_HEAD, ++req_head_);
        machine_.mark_dirty(queue_ + off, PTV_HOSTRING_REQ_SIZE);
        machine_.mark_dirty(queue_ + PTV_HOSTRING_OFF_REQ_HEAD, 4);
        outstanding_.emplace_back(tag, std::move(p));
        ++stats_.requests;
        ++put;
    }
    stats_.max_outstanding = std::max<uint64_t>(stats_.max_outstanding, outstanding_.size());
    return put;
}

void HostRing::tell_guest(size_t put, uint32_t vcpu) {
    // One event however many went on: the guest takes every request it
    // finds when it looks.
    if (put > 0) machine_.complete({device_index_, 0, PTV_EVT_HOST_RING, vcpu});
}

void HostRing::deliver(std::vector<Delivery>& answers) {
    for (auto& [done, answer] : answers)
        if (done) done(std::move(answer));
}

void HostRing::send(Request request, Done done) {
    if (request.data.size() > PTV_HOSTRING_REQ_DATA_MAX)
        throw std::invalid_argument(
            fmt::format("host-ring: a request carries at most {} bytes of data, not {}",
                        PTV_HOSTRING_REQ_DATA_MAX, request.data.size()));
    size_t put = 0;
    uint32_t vcpu = 0;
    {
        std::lock_guard lock(lock_);
        if (!queue_ || !waiting_.empty() || req_head_ - resp_tail_ >= size_) ++stats_.held_back;
        waiting_.push_back({std::move(request), std::move(done)});
        put = put_waiting_locked();
        vcpu = vcpu_;
    }
    tell_guest(put, vcpu);
}

vmb::Response HostRing::notify() {
    std::vector<Delivery> answers;
    vmb::Response verdict;
    size_t put = 0;
    uint32_t vcpu = 0;
    uint64_t generation = 0;
    {
        std::lock_guard lock(lock_);
        if (!queue_) {
            ++stats_.ignored;
            return {};
        }
        // The guest may have rewritten the header since it was bound: look
        // again, and insist on the size the device's indices were kept for.
        uint32_t size = 0;
        if (auto why = check_queue(queue_, &size)) return fail(*why);
        if (size != size_)
            return fail(fmt::format("queue at {:#x} changed its size from {} to {} while in use",
                                    queue_, size_, size));
        uint8_t* q = machine_.ram().data() + queue_;
        std::span<uint8_t> ram = machine_.ram();
        const uint32_t req_tail = load_index(q + PTV_HOSTRING_OFF_REQ_TAIL);
        const uint32_t resp_head = load_index(q + PTV_HOSTRING_OFF_RESP_HEAD);
        const uint32_t unanswered = req_head_ - resp_tail_;  // free-running indices
        const uint32_t untaken = req_head_ - req_tail;
        const uint32_t responses = resp_head - resp_tail_;
        if (untaken > size_ || responses > unanswered)
            return fail(fmt::format(
                "bad ring indices in the queue at {:#x}: req_tail {} leaves {} of the host's {} "
                "requests untaken, resp_head {} claims {} responses to {} unanswered requests, "
                "on rings of {} entries",
                queue_, req_tail, untaken, req_head_, resp_head, responses, unanswered, size_));
        const uint64_t resp_ring = PTV_HOSTRING_OFF_REQ + uint64_t(size_) * PTV_HOSTRING_REQ_SIZE;
        for (uint32_t n = 0; n < responses && !verdict; ++n) {
            const uint8_t* e =
                q + resp_ring + uint64_t(resp_tail_ & (size_ - 1)) * PTV_HOSTRING_RESP_SIZE;
            const uint32_t id = load32(e + PTV_HOSTRING_RESP_ID);
            const uint32_t status = load32(e + PTV_HOSTRING_RESP_STATUS);
            const uint32_t buffer = load32(e + PTV_HOSTRING_RESP_BUFFER);
            const uint32_t length = load32(e + PTV_HOSTRING_RESP_LENGTH);
            auto it = std::find_if(outstanding_.begin(), outstanding_.end(),
                                   [id](const auto& o) { return o.first == id; });
            if (it == outstanding_.end()) {
                verdict = fail(fmt::format(
                    "response {} in the queue at {:#x} has id {}, which is no unanswered request",
                    resp_tail_, queue_, id));
            } else if (length > PTV_HOSTRING_MAX_RESPONSE) {
                verdict = fail(fmt::format(
                    "response {} in the queue at {:#x} is {} bytes long; at most {} may be",
                    resp_tail_, queue_, length, PTV_HOSTRING_MAX_RESPONSE));
            } else if (buffer > ram.size() || ram.size() - buffer < length) {
                verdict = fail(fmt::format(
                    "response {} in the queue at {:#x} has {} bytes at {:#x}, outside the "
                    "guest's {} MiB of RAM",
                    resp_tail_, queue_, length, buffer, ram.size() >> 20));
            } else {
                Answer a{status, {ram.data() + buffer, ram.data() + buffer + length}};
                answers.emplace_back(std::move(it->second.done), std::move(a));
                outstanding_.erase(it);
                ++resp_tail_;
                ++stats_.responses;
                if (status != PTV_HOSTRING_S_OK) ++stats_.errors;
            }
        }
        // The answers made room: the FIFO's next requests go on.
        if (!verdict) put = put_waiting_locked();
        vcpu = vcpu_;
        generation = generation_;
    }
    tell_guest(put, vcpu);
    deliver(answers);  // those before a bad one are good answers all the same
    // Only now does the guest see them taken: a guest that waits for
    // resp_tail before it ends knows its clients have their answers.
    {
        std::lock_guard lock(lock_);
        if (queue_ && generation == generation_) {
            // resp_tail_ only grows: the last pass to get here writes the newest.
            store_index(machine_.ram().data() + queue_ + PTV_HOSTRING_OFF_RESP_TAIL, resp_tail_);
            machine_.mark_dirty(queue_ + PTV_HOSTRING_OFF_RESP_TAIL, 4);
        }
    }
    return verdict;
}

HostRing::Stats HostRing::stats() const {
    std::lock_guard lock(lock_);
    return stats_;
}

uint64_t HostRing::queue() const {
    std::lock_guard lock(lock_);
    return queue_;
}

size_t HostRing::outstanding() const {
    std::lock_guard lock(lock_);
    return outstanding_.size();
}

size_t HostRing::waiting() const {
    std::lock_guard lock(lock_);
    return waiting_.size();
}

nlohmann::json HostRing::save_state() const {
    std::lock_guard lock(lock_);
    if (!outstanding_.empty() || !waiting_.empty())
        throw std::runtime_error(fmt::format(
            "host-ring: {} client request(s) are unanswered; a snapshot or a migration cannot "
            "carry the host's clients, so let them finish first",
            outstanding_.size() + waiting_.size()));
    return {{"queue", queue_},
            {"size", size_},
            {"vcpu", vcpu_},
            {"req_head", req_head_},
            {"resp_tail", resp_tail_}};
}

void HostRing::load_state(const nlohmann::json& s) {
    const uint64_t queue = s.at("queue").get<uint64_t>();
    const uint32_t size = s.at("size").get<uint32_t>();
    const uint32_t vcpu = s.at("vcpu").get<uint32_t>();
    const uint32_t req_head = s.at("req_head").get<uint32_t>();
    const uint32_t resp_tail = s.at("resp_tail").get<uint32_t>();
    const size_t ram = machine_.ram().size();
    if (req_head != resp_tail)
        throw std::invalid_argument("host-ring: the record has requests unanswered");
    if (queue != 0 && (queue % kQueueAlign != 0 || size == 0 || size > PTV_HOSTRING_MAX_SIZE ||
                       (size & (size - 1)) != 0 || queue > ram || ram - queue < queue_bytes(size) ||
                       vcpu >= PTV_MAX_VCPUS))
        throw std::invalid_argument("host-ring: the record's queue, size or vcpu is impossible");
    std::lock_guard lock(lock_);
    ++generation_;
    queue_ = queue;
    size_ = queue ? size : 0;
    vcpu_ = vcpu;
    req_head_ = req_head;
    resp_tail_ = resp_tail;
}

}  // namespace ptv::devices

#include "ptv/devices/pv_disk.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/portmap.h"
#include "split_ring.hpp"

namespace ptv::devices {

namespace {

constexpr uint64_t kSector = PTV_ATA_SECTOR_SIZE;
using namespace split_ring;

const QueueLayout kLayout{
    PTV_PVDISK_QUEUE_PORT, PTV_PVDISK_MAGIC,   "PVD1",
    PTV_PVDISK_MAX_SIZE,   PTV_PVDISK_OFF_REQ, PTV_PVDISK_REQ_SIZE + PTV_PVDISK_USED_SIZE};

uint64_t queue_bytes(uint32_t size) {
    return kLayout.bytes(size);
}

}  // namespace

PvDisk::PvDisk(vmb::Machine& machine) : machine_(machine), disk_(DiskImage::simulated()) {}

void PvDisk::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_PVDISK_QUEUE_PORT, PTV_PVDISK_SIZE, *this);
    device_index_ = board.find(vmb::Space::Pio, PTV_PVDISK_QUEUE_PORT)->device_index;
}

std::vector<vmb::Doorbell> PvDisk::doorbells() const {
    return {{vmb::Space::Pio, PTV_PVDISK_NOTIFY_PORT, 4,
             PTV_PVDISK_NOTIFY_PORT - PTV_PVDISK_QUEUE_PORT}};
}

void PvDisk::attach(std::shared_ptr<DiskImage> disk, uint64_t latency_ns) {
    std::lock_guard lock(lock_);
    disk_ = std::move(disk);
    latency_ns_ = latency_ns;
}

void PvDisk::read(vmb::Space, uint64_t offset, std::span<uint8_t> data) {
    read_ports(queue(), offset, data);
}

vmb::Response PvDisk::fail(std::string message) const {
    return device_error(name(), std::move(message));
}

vmb::Response PvDisk::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    if (offset == PTV_PVDISK_NOTIFY_PORT - PTV_PVDISK_QUEUE_PORT) return notify();
    if (auto why = bad_queue_write(offset, data.size(), kLayout)) return fail(*why);
    return bind(load32(data.data()));
}

std::optional<std::string> PvDisk::check_queue(uint64_t gpa, uint32_t* size_out) const {
    return split_ring::check_queue(machine_.ram(), gpa, kLayout, size_out);
}

vmb::Response PvDisk::bind(uint32_t gpa) {
    std::lock_guard lock(lock_);
    ++generation_;  // requests of an earlier queue complete nowhere
    in_flight_.clear();
    if (gpa == 0) {
        queue_ = 0;
        size_ = 0;
        return {};
    }
    uint32_t size = 0;
    if (auto why = check_queue(gpa, &size)) {
        queue_ = 0;
        size_ = 0;
        return fail(*why);
    }
    uint8_t* q = machine_.ram().data() + gpa;
    queue_ = gpa;
    size_ = size;
    // The device's indices start where the guest set them up.
    req_tail_ = load_index(q + PTV_PVDISK_OFF_REQ_TAIL);
    used_head_ = load_index(q + PTV_PVDISK_OFF_USED_HEAD);
    return {};
}

vmb::Response PvDisk::notify() {
    std::vector<std::pair<uint64_t, Request>> taken;
    {
        std::lock_guard lock(lock_);
        if (!queue_) {
            ++stats_.ignored;
            return {};
        }
        // The guest may have rewritten the header since it was set: look
        // again, and insist on the size the device's indices were kept for.
        uint32_t size = 0;
        if (auto why = check_queue(queue_, &size)) return fail(*why);
        if (size != size_)
            return fail(fmt::format("queue at {:#x} changed its size from {} to {} while in use",
                                    queue_, size_, size));
        ++stats_.ring_passes;
        uint8_t* q = machine_.ram().data() + queue_;
        const uint32_t req_head = load_index(q + PTV_PVDISK_OFF_REQ_HEAD);
        const uint32_t used_tail = load_index(q + PTV_PVDISK_OFF_USED_TAIL);
        const uint32_t waiting = req_head - req_tail_;  // free-running indices
        const uint32_t unconsumed = used_head_ - used_tail;
        if (waiting > size_ || unconsumed > size_)
            return fail(fmt::format(
                "bad ring indices in the queue at {:#x}: req_head {} is {} ahead of req_tail {}, "
                "used_head {} is {} ahead of used_tail {}, on rings of {} entries",
                queue_, req_head, waiting, req_tail_, used_head_, unconsumed, used_tail, size_));
        uint32_t left = waiting;
        while (left > 0 && unconsumed + in_flight_.size() < size_) {
            const uint8_t* e =
                q + PTV_PVDISK_OFF_REQ + uint64_t(req_tail_ & (size_ - 1)) * PTV_PVDISK_REQ_SIZE;
            Request r{load32(e + PTV_PVDISK_REQ_OP),    load32(e + PTV_PVDISK_REQ_LBA),
                      load32(e + PTV_PVDISK_REQ_COUNT), load32(e + PTV_PVDISK_REQ_BUFFER),
                      load32(e + PTV_PVDISK_REQ_ID),    load32(e + PTV_PVDISK_REQ_VCPU)};
            const uint64_t seq = next_seq_++;
            in_flight_.emplace(seq, r);
            taken.emplace_back(seq, r);
            ++req_tail_;
            --left;
            ++stats_.requests;
        }
        if (left > 0) ++stats_.held_back;
        if (in_flight_.size() > stats_.max_in_flight) stats_.max_in_flight = in_flight_.size();
        store_index(q + PTV_PVDISK_OFF_REQ_TAIL, req_tail_);
        machine_.mark_dirty(queue_ + PTV_PVDISK_OFF_REQ_TAIL, 4);
    }
    for (const auto& [seq, r] : taken) start(seq, r);
    return {};
}

void PvDisk::start(uint64_t seq, const Request& r) {
    uint64_t latency, generation;
    {
        std::lock_guard lock(lock_);
        latency = latency_ns_;
        generation = generation_;
    }
    machine_.submit(
        {latency, [this, seq, generation, r] { finish(seq, generation, r, serve(r)); }});
}

uint32_t PvDisk::serve(const Request& r) {
    if (r.op != PTV_PVBLK_OP_READ && r.op != PTV_PVBLK_OP_WRITE) return PTV_PVBLK_S_UNSUPP;
    std::shared_ptr<DiskImage> disk;
    {
        std::lock_guard lock(lock_);
        disk = disk_;
    }
    if (r.count == 0 || r.count > PTV_PVDISK_MAX_COUNT || r.lba > disk->sectors() ||
        disk->sectors() - r.lba < r.count)
        return PTV_PVBLK_S_IOERR;
    std::span<uint8_t> ram = machine_.ram();
    const uint64_t bytes = r.count * kSector;
    if (r.buffer > ram.size() || ram.size() - r.buffer < bytes) return PTV_PVDISK_S_BADREQ;
    if (r.vcpu >= PTV_MAX_VCPUS) return PTV_PVDISK_S_BADREQ;
    try {
        if (r.op == PTV_PVBLK_OP_READ) {
            disk->read(r.lba, r.count, ram.subspan(r.buffer, bytes));
            machine_.mark_dirty(r.buffer, bytes);
        } else {
            disk->write(r.lba, r.count, ram.subspan(r.buffer, bytes));
        }
    } catch (const std::exception&) {
        return PTV_PVBLK_S_IOERR;  // the image file failed under us
    }
    return PTV_PVBLK_S_OK;
}

void PvDisk::finish(uint64_t seq, uint64_t generation, const Request& r, uint32_t status) {
    {
        std::lock_guard lock(lock_);
        if (generation != generation_ || !queue_) return;  // its queue is gone
        in_flight_.erase(seq);
        uint8_t* q = machine_.ram().data() + queue_;
        const uint64_t used_off = PTV_PVDISK_OFF_REQ + uint64_t(size_) * PTV_PVDISK_REQ_SIZE +
                                  uint64_t(used_head_ & (size_ - 1)) * PTV_PVDISK_USED_SIZE;
        store32(q + used_off + PTV_PVDISK_USED_ID, r.id);
        store32(q + used_off + PTV_PVDISK_USED_STATUS, status);
        // The entry before the index that publishes it (release).
        store_index(q + PTV_PVDISK_OFF_USED_HEAD, ++used_head_);
        machine_.mark_dirty(queue_ + used_off, PTV_PVDISK_USED_SIZE);
        machine_.mark_dirty(queue_ + PTV_PVDISK_OFF_USED_HEAD, 4);
        ++stats_.completions;
        if (status != PTV_PVBLK_S_OK) ++stats_.errors;
    }
    // A request naming a vCPU that does not exist is told to vCPU 0.
    const uint32_t vcpu = r.vcpu < PTV_MAX_VCPUS ? r.vcpu : 0;
    machine_.complete({device_index_, 0, PTV_EVT_PVDISK, vcpu});
}

PvDisk::Stats PvDisk::stats() const {
    std::lock_guard lock(lock_);
    return stats_;
}

uint64_t PvDisk::queue() const {
    std::lock_guard lock(lock_);
    return queue_;
}

uint64_t PvDisk::in_flight() const {
    std::lock_guard lock(lock_);
    return in_flight_.size();
}

nlohmann::json PvDisk::save_state() const {
    std::lock_guard lock(lock_);
    nlohmann::json requests = nlohmann::json::array();
    for (const auto& [seq, r] : in_flight_)
        requests.push_back({{"op", r.op},
                            {"lba", r.lba},
                            {"count", r.count},
                            {"buffer", r.buffer},
                            {"id", r.id},
                            {"vcpu", r.vcpu}});
    return {{"queue", queue_},
            {"size", size_},
            {"req_tail", req_tail_},
            {"used_head", used_head_},
            {"in_flight", requests}};
}

void PvDisk::load_state(const nlohmann::json& s) {
    const uint64_t queue = s.at("queue").get<uint64_t>();
    const uint32_t size = s.at("size").get<uint32_t>();
    const size_t ram = machine_.ram().size();
    if (queue != 0 && (queue % kQueueAlign != 0 || size == 0 || size > PTV_PVDISK_MAX_SIZE ||
                       (size & (size - 1)) != 0 || queue > ram || ram - queue < queue_bytes(size)))
        throw std::invalid_argument("pv-disk: the record's queue or size is impossible");
    std::vector<Request> requests;
    for (const auto& j : s.at("in_flight"))
        requests.push_back({j.at("op").get<uint32_t>(), j.at("lba").get<uint32_t>(),
                            j.at("count").get<uint32_t>(), j.at("buffer").get<uint32_t>(),
                            j.at("id").get<uint32_t>(), j.at("vcpu").get<uint32_t>()});
    if (requests.size() > (queue ? size : 0))
        throw std::invalid_argument("pv-disk: the record has more requests than its queue");
    const uint32_t req_tail = s.at("req_tail").get<uint32_t>();
    const uint32_t used_head = s.at("used_head").get<uint32_t>();
    std::vector<std::pair<uint64_t, Request>> again;
    {
        std::lock_guard lock(lock_);
        ++generation_;
        in_flight_.clear();
        queue_ = queue;
        size_ = queue ? size : 0;
        req_tail_ = req_tail;
        used_head_ = used_head;
        for (const Request& r : requests) {
            const uint64_t seq = next_seq_++;
            in_flight_.emplace(seq, r);
            again.emplace_back(seq, r);
        }
    }
    for (const auto& [seq, r] : again) start(seq, r);
}

}  // namespace ptv::devices

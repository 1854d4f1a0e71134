// What the devices with split rings in guest RAM share (virtio's split
// rings in miniature: the PV disk, the host request ring): a queue page the
// guest hands over with a 32-bit OUT of its address, whose header begins
// with a magic word and a size; indices the other side moves while the
// device looks; and the rule that every word the guest wrote is read once
// and checked before the device believes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ptv/vmb/device.hpp"

namespace ptv::devices::split_ring {

inline uint32_t load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store32(uint8_t* p, uint32_t v) {
    std::memcpy(p, &v, sizeof v);
}
// An index the other side reads or writes while we look: one atomic access.
inline uint32_t load_index(uint8_t* p) {
    return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(p))
        .load(std::memory_order_acquire);
}
inline void store_index(uint8_t* p, uint32_t v) {
    std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(p)).store(v, std::memory_order_release);
}

// One device's queue: the magic at +0, the size (entries, a power of two)
// at +4, a header, then `size` entries of each ring.
struct QueueLayout {
    uint16_t queue_port;  // where the guest writes the queue's address
    uint32_t magic;
    std::string_view magic_text;  // "PVD1"
    uint32_t max_size;
    uint64_t header_bytes;  // up to the first entry
    uint64_t entry_bytes;   // of all the rings together, per entry
    uint64_t bytes(uint32_t size) const { return header_bytes + uint64_t(size) * entry_bytes; }
};

inline constexpr uint64_t kQueueAlign = 4096;

// Why the queue at `gpa` cannot be used (alignment, outside RAM, magic,
// size), or nullopt with its size in *size.
std::optional<std::string> check_queue(std::span<const uint8_t> ram, uint64_t gpa,
                                       const QueueLayout& layout, uint32_t* size);

// A read of the device's ports: the queue's address at the queue port,
// zeros elsewhere.
void read_ports(uint64_t queue, uint64_t offset, std::span<uint8_t> data);

// A write to the queue port that is not one 32-bit OUT: what was wrong.
std::optional<std::string> bad_queue_write(uint64_t offset, size_t bytes,
                                           const QueueLayout& layout);

// The run ends: the guest misused `device`.
vmb::Response device_error(std::string_view device, std::string message);

}  // namespace ptv::devices::split_ring

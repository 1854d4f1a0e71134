#include "split_ring.hpp"

#include <fmt/format.h>

namespace ptv::devices::split_ring {

std::optional<std::string> check_queue(std::span<const uint8_t> ram, uint64_t gpa,
                                       const QueueLayout& l, uint32_t* size_out) {
    if (gpa % kQueueAlign != 0) return fmt::format("queue address {:#x} is not 4 KiB aligned", gpa);
    if (gpa > ram.size() || ram.size() - gpa < l.header_bytes)
        return fmt::format("queue {:#x} lies outside the guest's {} MiB of RAM", gpa,
                           ram.size() >> 20);
    const uint8_t* q = ram.data() + gpa;
    const uint32_t magic = load32(q);
    const uint32_t size = load32(q + 4);
    if (magic != l.magic)
        return fmt::format("queue at {:#x} has magic {:#010x}, expected {:#010x} (\"{}\")", gpa,
                           magic, l.magic, l.magic_text);
    if (size == 0 || size > l.max_size || (size & (size - 1)) != 0)
        return fmt::format("queue at {:#x} has size {}; it must be a power of two from 1 to {}",
                           gpa, size, l.max_size);
    if (ram.size() - gpa < l.bytes(size))
        return fmt::format("queue at {:#x} of {} entries runs past the end of RAM", gpa, size);
    *size_out = size;
    return std::nullopt;
}

void read_ports(uint64_t queue, uint64_t offset, std::span<uint8_t> data) {
    const uint64_t value = offset == 0 ? queue : 0;
    for (size_t i = 0; i < data.size(); ++i) data[i] = i < 8 ? uint8_t(value >> (8 * i)) : 0;
}

std::optional<std::string> bad_queue_write(uint64_t offset, size_t bytes, const QueueLayout& l) {
    if (offset == 0 && bytes == 4) return std::nullopt;
    return fmt::format(
        "port written with {} byte(s) at offset {}; set the queue with a 32-bit OUT of its "
        "address to port {:#x}",
        bytes, offset, l.queue_port);
}

vmb::Response device_error(std::string_view device, std::string message) {
    return vmb::StopRequest{vmb::StopRequest::Kind::DeviceError, 0, std::string(device),
                            std::move(message)};
}

}  // namespace ptv::devices::split_ring

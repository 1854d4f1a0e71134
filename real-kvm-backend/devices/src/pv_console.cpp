#include "ptv/devices/pv_console.hpp"

#include <fmt/format.h>
#include <cstring>
#include <string>

#include "ptv/portmap.h"

namespace ptv::devices {

void PvConsole::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_PVCON_DOORBELL_PORT, PTV_PVCON_DOORBELL_SIZE, *this);
}

namespace {
uint32_t load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
void store32(uint8_t* p, uint32_t v) {
    std::memcpy(p, &v, sizeof v);
}
}  // namespace

void PvConsole::read(vmb::Space, uint64_t, std::span<uint8_t> data) {
    uint64_t n = messages_;
    for (size_t i = 0; i < data.size(); ++i) data[i] = i < 8 ? uint8_t(n >> (8 * i)) : 0;
}

vmb::Response PvConsole::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    if (offset != 0 || data.size() != 4)
        return fail(fmt::format(
            "doorbell written with {} byte(s) at offset {}; ring it with a 32-bit OUT of the "
            "ring's address",
            data.size(), offset));
    return drain(load32(data.data()));
}

vmb::Response PvConsole::fail(std::string message) const {
    return vmb::StopRequest{vmb::StopRequest::Kind::DeviceError, 0, std::string(name()),
                            std::move(message)};
}

vmb::Response PvConsole::drain(uint64_t gpa) {
    std::span<uint8_t> ram = machine_.ram();
    if (gpa % 4 != 0 || gpa > ram.size() || ram.size() - gpa < PTV_PVCON_OFF_DATA)
        return fail(
            fmt::format("ring address {:#x} is not a 4-byte-aligned header inside the "
                        "guest's {} MiB of RAM",
                        gpa, ram.size() >> 20));
    uint8_t* ring = ram.data() + gpa;
    // Fetch each field once; the guest may change them while we look.
    const uint32_t magic = load32(ring + PTV_PVCON_OFF_MAGIC);
    const uint32_t size = load32(ring + PTV_PVCON_OFF_SIZE);
    const uint32_t head = load32(ring + PTV_PVCON_OFF_HEAD);
    const uint32_t tail = load32(ring + PTV_PVCON_OFF_TAIL);
    if (magic != PTV_PVCON_MAGIC)
        return fail(fmt::format("ring at {:#x} has magic {:#010x}, expected {:#010x} (\"PVC1\")",
                                gpa, magic, PTV_PVCON_MAGIC));
    if (size == 0 || size > PTV_PVCON_MAX_SIZE || (size & (size - 1)) != 0)
        return fail(fmt::format("ring at {:#x} has size {}; it must be a power of two from 1 to {}",
                                gpa, size, PTV_PVCON_MAX_SIZE));
    if (ram.size() - gpa - PTV_PVCON_OFF_DATA < size)
        return fail(
            fmt::format("ring at {:#x} with {} data bytes runs past the end of RAM", gpa, size));
    const uint32_t pending = head - tail;  // free-running indices
    if (pending > size)
        return fail(fmt::format(
            "ring at {:#x}: head {} is {} bytes ahead of tail {}, beyond the ring's {} bytes", gpa,
            head, pending, tail, size));

    std::string message(pending, '\0');
    const uint8_t* data = ring + PTV_PVCON_OFF_DATA;
    for (uint32_t i = 0; i < pending; ++i) message[i] = char(data[(tail + i) & (size - 1)]);
    machine_.console_write(message);
    store32(ring + PTV_PVCON_OFF_TAIL, head);
    machine_.mark_dirty(gpa + PTV_PVCON_OFF_TAIL, 4);
    ++messages_;
    bytes_ += pending;
    return {};
}

}  // namespace ptv::devices

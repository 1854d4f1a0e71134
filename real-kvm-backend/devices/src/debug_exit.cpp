#include "ptv/devices/debug_exit.hpp"

#include "ptv/portmap.h"

#include <algorithm>

namespace ptv::devices {

void DebugExit::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_DEBUG_EXIT_PORT, PTV_DEBUG_EXIT_SIZE, *this);
}

void DebugExit::read(vmb::Space, uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), uint8_t(0));
}

vmb::Response DebugExit::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    // Only a write to the first register counts: its low byte is the status.
    if (offset != 0 || data.empty()) return {};
    return vmb::StopRequest{vmb::StopRequest::Kind::GuestExit, data[0], std::string(name()), {}};
}

}  // namespace ptv::devices

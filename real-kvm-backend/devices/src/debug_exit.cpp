#include "ptv/devices/debug_exit.hpp"

#include <algorithm>

namespace ptv::devices {

void DebugExit::read(vmb::Space, uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), uint8_t(0));
}

void DebugExit::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    // Only a write to the first register counts: its low byte is the status.
    if (offset != 0 || data.empty()) return;
    machine_.request_stop({vmb::StopRequest::Kind::GuestExit, data[0], std::string(name()), {}});
}

}  // namespace ptv::devices

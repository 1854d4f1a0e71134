#include "ptv/devices/pit8254.hpp"

#include <stdexcept>

#include "ptv/portmap.h"

namespace ptv::devices {

namespace {
// Control Word fields (datasheet, "Control Word Format").
constexpr unsigned kSelectShift = 6;  // SC1 SC0
constexpr uint8_t kSelectReadBack = 3;
constexpr uint8_t kRwMask = 0x30;  // RW1 RW0; 00 = Counter Latch Command
constexpr uint8_t kReadBackNotCount = 0x20;
constexpr uint8_t kReadBackNotStatus = 0x10;
// Port B bits.
constexpr uint8_t kPortBGate2 = 0x01;
constexpr uint8_t kPortBSpeaker = 0x02;
constexpr uint8_t kPortBWritable = 0x0f;
constexpr unsigned kPortBRefreshShift = 4;
constexpr unsigned kPortBOut2Shift = 5;
}  // namespace

void Pit8254::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_PIT_BASE, PTV_PIT_SIZE, *this);
    board.claim(vmb::Space::Pio, PTV_SYSCTL_B_PORT, 1, *this, kPortB);
}

void Pit8254::read(vmb::Space, uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(lock_);
    const uint64_t now = machine_.now_ns();
    for (size_t i = 0; i < data.size(); ++i) data[i] = read_reg(offset + i, now);
}

vmb::Response Pit8254::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    std::lock_guard lock(lock_);
    const uint64_t now = machine_.now_ns();
    for (size_t i = 0; i < data.size(); ++i) write_reg(offset + i, data[i], now);
    return {};
}

uint8_t Pit8254::read_reg(uint64_t offset, uint64_t now) {
    if (offset < kControl) return counters_[offset].read(now);
    if (offset == kPortB) {
        const bool refresh = (now / kRefreshToggleNs) & 1;
        return uint8_t(port_b_ | refresh << kPortBRefreshShift |
                       counters_[2].out(now) << kPortBOut2Shift);
    }
    return 0xff;  // the Control Word register is write-only; past the ports, nothing
}

void Pit8254::write_reg(uint64_t offset, uint8_t value, uint64_t now) {
    if (offset < kControl) {
        counters_[offset].write(value, now);
    } else if (offset == kControl) {
        write_control(value, now);
    } else if (offset == kPortB) {
        port_b_ = value & kPortBWritable;
        counters_[2].set_gate(port_b_ & kPortBGate2, now);
    }
}

void Pit8254::write_control(uint8_t value, uint64_t now) {
    const unsigned select = value >> kSelectShift;
    if (select == kSelectReadBack) {
        for (unsigned c = 0; c < 3; ++c) {
            if (!(value & (2u << c))) continue;  // CNT0 is bit 1
            // Status first: if both are latched, the status is read first
            // (PitCounter::read), whatever the order here.
            if (!(value & kReadBackNotStatus)) counters_[c].latch_status(now);
            if (!(value & kReadBackNotCount)) counters_[c].latch_count(now);
        }
        return;
    }
    if ((value & kRwMask) == 0)
        counters_[select].latch_count(now);
    else
        counters_[select].program(value & 0x3f, now);
}

std::optional<double> Pit8254::speaker_hz() const {
    std::lock_guard lock(lock_);
    const PitCounter& c = counters_[2];
    const auto n = c.counting_count();
    if ((port_b_ & (kPortBGate2 | kPortBSpeaker)) != (kPortBGate2 | kPortBSpeaker) ||
        c.mode() != 3 || !n)
        return std::nullopt;
    return double(PitCounter::kClockHz) / *n;
}

nlohmann::json Pit8254::save_state() const {
    std::lock_guard lock(lock_);
    const uint64_t now = machine_.now_ns();
    nlohmann::json counters = nlohmann::json::array();
    for (const PitCounter& c : counters_) counters.push_back(c.save_state(now));
    return {{"counters", counters}, {"port_b", port_b_}};
}

void Pit8254::load_state(const nlohmann::json& s) {
    std::lock_guard lock(lock_);
    const uint64_t now = machine_.now_ns();
    const auto& counters = s.at("counters");
    if (!counters.is_array() || counters.size() != 3)
        throw std::invalid_argument("pit: the record must hold three counters");
    std::array<PitCounter, 3> restored;
    for (size_t i = 0; i < 3; ++i) restored[i].load_state(counters[i], now);
    const uint8_t port_b = s.at("port_b").get<uint8_t>();
    if (port_b & ~kPortBWritable) throw std::invalid_argument("pit: port B record out of range");
    counters_ = restored;
    port_b_ = port_b;
}

}  // namespace ptv::devices

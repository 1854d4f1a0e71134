// A device on the virtual motherboard, as a bus sees it (Firecracker's
// BusDevice, kvmtool's ioport/mmio handlers): a read and a write at an offset
// inside the range it claimed. No KVM types here: the simulator drives the
// same devices.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

namespace ptv::vmb {

// The two address spaces of an x86 machine.
enum class Space : uint8_t { Pio, Mmio };

inline std::string_view space_name(Space s) {
    return s == Space::Pio ? "pio" : "mmio";
}

class Device {
  public:
    virtual ~Device() = default;
    // Short, stable name: the exit table's row and the trace's track.
    virtual std::string_view name() const = 0;
    // "emulated" (a real device's registers) or "paravirtual" (an interface
    // designed for guests that know they are virtualized).
    virtual std::string_view kind() const { return "emulated"; }
    // `offset` is relative to the base of the claimed range; data.size() is
    // the access width in bytes (1, 2, 4 or 8). read() fills data.
    virtual void read(Space space, uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void write(Space space, uint64_t offset, std::span<const uint8_t> data) = 0;

    // The device's registers and internal state, for a snapshot or a live
    // migration (null: a device with no state). load_state() gets back what
    // save_state() gave, possibly from another process; it throws
    // std::invalid_argument on a record it cannot use. Called only while
    // the vCPU is stopped.
    virtual nlohmann::json save_state() const { return nullptr; }
    virtual void load_state(const nlohmann::json&) {}
};

}  // namespace ptv::vmb

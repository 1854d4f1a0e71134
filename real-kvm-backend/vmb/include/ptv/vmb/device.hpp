// A device on the virtual motherboard, as a bus sees it (Firecracker's
// BusDevice, kvmtool's ioport/mmio handlers): a read and a write at an offset
// inside the range it claimed. No KVM types here: the simulator drives the
// same devices.
#pragma once

#include <cstdint>
// Only the declaration: a device file that saves state includes the whole
// library, and a file that only implements read() and write() (a lab's)
// compiles without it.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ptv::vmb {

// The two address spaces of an x86 machine.
enum class Space : uint8_t { Pio, Mmio };

inline std::string_view space_name(Space s) {
    return s == Space::Pio ? "pio" : "mmio";
}

// A device's request to end the run: the guest asked to stop (debug-exit),
// reset the machine (the i8042's reset line) or misused the device (bad
// ring indices). It travels back with the access, in the exit's
// notification, and the exit policy turns it into the run's outcome.
struct StopRequest {
    enum class Kind : uint8_t {
        GuestExit,    // the guest asked to end, with a status byte
        DeviceError,  // the guest misused a device (e.g. bad ring indices)
        Reset,        // the guest pulsed the processor's reset line
    };
    Kind kind;
    uint32_t status = 0;  // GuestExit: the guest's status
    std::string device;   // who asked
    std::string message;  // DeviceError: what the guest did wrong; Reset: how
};

// What a write answers besides taking the data: usually nothing, at times
// a request to stop.
using Response = std::optional<StopRequest>;

class VirtualMotherboard;

// A register the guest writes only to say "look at the ring" (virtio's
// queue notify): the write needs no answer and its value does not matter,
// so a host that can may take it without stopping the vCPU at all (KVM's
// ioeventfd) and call write(space, offset, ...) later, from another thread.
struct Doorbell {
    Space space;
    uint64_t address;  // absolute: the port or the guest-physical address
    uint8_t size;      // the access width the guest uses
    uint64_t offset;   // what write() is given (relative to the claim)
};

class Device {
  public:
    virtual ~Device() = default;
    // Plugs the device into the board: it claims its own port and MMIO
    // ranges (kvmtool's device init functions), so the bring-up list says
    // only which devices a machine has and in what order.
    virtual void plug_in(VirtualMotherboard& board) = 0;
    // Short, stable name: the exit table's row and the trace's track.
    virtual std::string_view name() const = 0;
    // "emulated" (a real device's registers) or "paravirtual" (an interface
    // designed for guests that know they are virtualized).
    virtual std::string_view kind() const { return "emulated"; }
    // `offset` is relative to the base of the claimed range (plus the
    // claim's first offset, see VirtualMotherboard::claim); data.size() is
    // the access width in bytes (1, 2, 4 or 8). read() fills data.
    virtual void read(Space space, uint64_t offset, std::span<uint8_t> data) = 0;
    virtual Response write(Space space, uint64_t offset, std::span<const uint8_t> data) = 0;
    // The device's doorbells (see Doorbell); a device that has any must
    // take their writes on any thread.
    virtual std::vector<Doorbell> doorbells() const { return {}; }

    // The device's registers and internal state, for a snapshot or a live
    // migration (null: a device with no state). load_state() gets back what
    // save_state() gave, possibly from another process; it throws
    // std::invalid_argument on a record it cannot use. Called only while
    // the vCPU is stopped.
    virtual nlohmann::json save_state() const;
    virtual void load_state(const nlohmann::json& state);
};

}  // namespace ptv::vmb

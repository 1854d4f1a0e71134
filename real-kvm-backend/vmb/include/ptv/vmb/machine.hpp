// What a device may ask of the machine it sits in: its guest RAM (for
// para-virtualized devices that share memory with the guest), a console to
// write to, and a stop (debug-exit, or a device error the guest caused).
// Implemented by the worker process, and by tests and the simulator.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ptv::vmb {

struct StopRequest {
    enum class Kind : uint8_t {
        GuestExit,    // the guest asked to end, with a status byte
        DeviceError,  // the guest misused a device (e.g. bad ring indices)
    };
    Kind kind;
    uint32_t status = 0;  // GuestExit: the guest's status
    std::string device;   // who asked
    std::string message;  // DeviceError: what the guest did wrong
};

class Machine {
  public:
    virtual ~Machine() = default;
    // Guest-physical RAM, starting at address 0.
    virtual std::span<uint8_t> ram() = 0;
    // A device wrote guest RAM itself (not through the vCPU): KVM's dirty
    // log does not see such writes, so a live migration must be told (as
    // QEMU's devices call cpu_physical_memory_set_dirty).
    virtual void mark_dirty(uint64_t /*gpa*/, uint64_t /*bytes*/) {}
    // Guest console output (UART and PV console both end up here).
    virtual void console_write(std::string_view bytes) = 0;
    // Ends the VM after the current exit has been handled.
    virtual void request_stop(StopRequest request) = 0;
};

}  // namespace ptv::vmb

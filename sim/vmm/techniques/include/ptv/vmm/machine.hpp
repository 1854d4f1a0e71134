// The simulated machine a technique runs a guest on: guest RAM, the virtual
// motherboard with the same devices the KVM worker has (16550 UART, POST
// port, debug-exit, PV console, MMIO scratch page), the notification
// dispatcher that routes accesses to them, and the multiboot boot the KVM
// worker does, so a guest starts from the same memory and registers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ptv/devices/standard_devices.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vmm/cpu.hpp"
#include "ptv/vnd/dispatcher.hpp"

namespace ptv::vmm {

struct GuestConfig {
    std::string image_path;
    std::string name;
    std::string cmdline;
    uint32_t memory_mib = 64;  // as `ptv kvm run`
    bool echo = false;         // copy guest console output to stdout as it comes
    bool allow_unclaimed_mmio = false;
};

class SimulatedMachine : public vmb::Machine {
  public:
    // Loads the image (throws ptv::UsageError for a bad image or size).
    explicit SimulatedMachine(const GuestConfig& config);

    // The register state the multiboot specification promises (the same
    // as worker/boot.cpp gives a KVM vCPU).
    void boot(CpuState& s) const;
    uint32_t entry() const { return entry_; }

    // A port or MMIO access from the guest, routed by the dispatcher to the
    // device that claimed it. `exit` carries rip/code when tracing.
    uint32_t access(Cpu& cpu, vnd::Exit& exit, uint32_t value);
    vnd::Exit make_exit(Cpu& cpu, vnd::ExitReason reason, uint32_t address, uint8_t size,
                        bool is_write);

    vnd::NotificationDispatcher& dispatcher() { return *dispatcher_; }
    const vnd::NotificationDispatcher& dispatcher() const { return *dispatcher_; }
    const std::string& output() const { return output_; }
    const std::optional<vmb::StopRequest>& stop_request() const { return stop_; }
    bool bus_error() const { return bus_error_; }
    void attach(Cpu& cpu) { cpu_ = &cpu; }
    const GuestConfig& config() const { return config_; }

    // vmb::Machine
    std::span<uint8_t> ram() override { return ram_; }
    void console_write(std::string_view bytes) override;
    void request_stop(vmb::StopRequest request) override;

  private:
    GuestConfig config_;
    std::vector<uint8_t> ram_;
    uint32_t entry_ = 0;
    vmb::VirtualMotherboard board_;
    devices::StandardDevices devices_{*this};
    std::unique_ptr<vnd::NotificationDispatcher> dispatcher_;
    std::string output_;
    std::optional<vmb::StopRequest> stop_;
    bool bus_error_ = false;
    Cpu* cpu_ = nullptr;
};

}  // namespace ptv::vmm

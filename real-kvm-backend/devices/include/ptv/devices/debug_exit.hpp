// The debug-exit port (QEMU's isa-debug-exit at the same address): the
// guest writes a status and the VM ends after this exit. Lets a test guest
// say "pass" or "fail" without a console.
#pragma once

#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class DebugExit : public vmb::Device {
  public:
    explicit DebugExit(vmb::Machine& machine) : machine_(machine) {}
    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "debug-exit"; }
    void read(vmb::Space, uint64_t, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override;

  private:
    vmb::Machine& machine_;
};

}  // namespace ptv::devices

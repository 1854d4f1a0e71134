// The para-virtualized console: the guest knows it is virtualized and talks
// to the device through memory instead of registers (the Xen/virtio idea).
// It writes a whole message into a ring in its own RAM and rings the
// doorbell once -- one exit per message where the UART takes two per byte.
//
// Ring layout: ptv/portmap.h (PTV_PVCON_*). The doorbell is a 32-bit OUT of
// the ring's guest-physical address. Everything in the ring comes from the
// guest and is checked before use, and read exactly once (no double fetch):
// a bad address, magic, size or head/tail pair is a DeviceError that stops
// the VM with a message naming what was wrong.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class PvConsole : public vmb::Device {
  public:
    explicit PvConsole(vmb::Machine& machine) : machine_(machine) {}

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "pv-console"; }
    std::string_view kind() const override { return "paravirtual"; }
    // Reading the doorbell returns the number of messages delivered so far.
    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override;

    uint64_t messages() const { return messages_; }
    uint64_t bytes() const { return bytes_; }
    nlohmann::json save_state() const override {
        return {{"messages", messages_}, {"bytes", bytes_}};
    }
    void load_state(const nlohmann::json& s) override {
        messages_ = s.at("messages").get<uint64_t>();
        bytes_ = s.at("bytes").get<uint64_t>();
    }

  private:
    vmb::Response fail(std::string message) const;
    vmb::Response drain(uint64_t ring_gpa);

    vmb::Machine& machine_;
    uint64_t messages_ = 0;
    uint64_t bytes_ = 0;
};

}  // namespace ptv::devices

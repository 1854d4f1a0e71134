// The devices one machine owns, built from the registry (registry.hpp) and
// plugged into its motherboard in bring-up order. The KVM worker and the CPU
// model's simulated machine both build theirs from the same registry, so a
// guest meets the same machine on both.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "ptv/devices/registry.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class DeviceSet {
  public:
    // Makes every registered device for `machine` (none plugged in yet).
    explicit DeviceSet(vmb::Machine& machine,
                       const std::vector<DeviceEntry>& entries = standard_devices());

    // Plugs every device into `board`, by init level, then in registration
    // order: each claims its own ranges.
    void plug_into(vmb::VirtualMotherboard& board);
    // One more device (a test's, a lab's), at `level`; plug_into() places
    // it by level like the registered ones. Returns it.
    vmb::Device& add(std::unique_ptr<vmb::Device> device, InitLevel level = InitLevel::Late);

    // The device named `name`, or nullptr.
    vmb::Device* find(std::string_view name) const;
    // The device of type D (the UART, for console input); throws
    // std::logic_error if the set has none.
    template <class D>
    D& get() const {
        for (const auto& s : slots_)
            if (auto* d = dynamic_cast<D*>(s.device.get())) return *d;
        throw std::logic_error("this machine has no such device");
    }

    // {"uart": {...}, "post-code": {...}, ...}: each device's save_state()
    // under its name; load_state() hands each its record back (a device
    // missing from the record keeps its reset state).
    nlohmann::json save_state() const;
    void load_state(const nlohmann::json& j);

  private:
    struct Slot {
        std::unique_ptr<vmb::Device> device;
        InitLevel level;
    };
    std::vector<Slot> slots_;
};

}  // namespace ptv::devices

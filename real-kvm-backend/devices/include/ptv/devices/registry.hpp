// The devices a ptvlab machine is built from, and their bring-up order
// (kvmtool's init levels: core, base, dev, paravirtual, late). Each device
// claims its own ranges in its own file (plug_in); the registry only names
// it, at its level. Adding a device is its file plus one line in
// registry.cpp; a test or a lab adds one at run time with DeviceSet::add.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"

namespace ptv::devices {

enum class InitLevel : uint8_t { Core, Base, Dev, Paravirtual, Late };

struct DeviceEntry {
    std::string_view name;  // the device's name(), for look-ups
    InitLevel level;
    std::function<std::unique_ptr<vmb::Device>(vmb::Machine&)> make;
};

// Every machine's devices (the KVM worker's and the CPU model's alike),
// in registration order; DeviceSet sorts them by level, stably.
const std::vector<DeviceEntry>& standard_devices();

}  // namespace ptv::devices

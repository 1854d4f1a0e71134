#include "ptv/vmb/motherboard.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <stdexcept>

namespace ptv::vmb {

uint16_t VirtualMotherboard::attach(Device& device) {
    auto it = std::find(devices_.begin(), devices_.end(), &device);
    if (it != devices_.end()) return uint16_t(it - devices_.begin());
    devices_.push_back(&device);
    return uint16_t(devices_.size() - 1);
}

const std::vector<Claim>& VirtualMotherboard::claims(Space space) const {
    return space == Space::Pio ? pio_ : mmio_;
}

void VirtualMotherboard::claim(Space space, uint64_t base, uint64_t size, Device& device,
                               uint64_t first_offset) {
    if (size == 0 || base + size < base)
        throw std::invalid_argument(fmt::format("{}: empty or wrapping {} range at {:#x}+{:#x}",
                                                device.name(), space_name(space), base, size));
    auto& list = space == Space::Pio ? pio_ : mmio_;
    // The first claim whose end lies beyond our base is the only candidate
    // for an overlap, since claims are sorted and disjoint.
    auto it = std::lower_bound(list.begin(), list.end(), base,
                               [](const Claim& c, uint64_t b) { return c.base + c.size <= b; });
    if (it != list.end() && it->base < base + size)
        throw std::invalid_argument(
            fmt::format("{} cannot claim {} {:#x}-{:#x}: it overlaps {}'s claim {:#x}-{:#x}",
                        device.name(), space_name(space), base, base + size - 1, it->device->name(),
                        it->base, it->base + it->size - 1));
    list.insert(it, Claim{space, base, size, &device, attach(device), first_offset});
}

const Claim* VirtualMotherboard::find(Space space, uint64_t address) const {
    const auto& list = space == Space::Pio ? pio_ : mmio_;
    // upper_bound on base: the claim just before it is the only one that can
    // contain the address.
    auto it = std::upper_bound(list.begin(), list.end(), address,
                               [](uint64_t a, const Claim& c) { return a < c.base; });
    if (it == list.begin()) return nullptr;
    --it;
    return address - it->base < it->size ? &*it : nullptr;
}

}  // namespace ptv::vmb

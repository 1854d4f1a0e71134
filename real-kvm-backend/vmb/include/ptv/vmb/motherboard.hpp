// The virtual motherboard (Hyper-V's VMB): the bus that devices join by
// claiming ranges of port-I/O and MMIO space. Overlapping claims are refused
// when they are made, so every address has at most one owner, and the lookup
// on every exit is a binary search over the sorted claims: O(log n).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/vmb/device.hpp"

namespace ptv::vmb {

struct Claim {
    Space space;
    uint64_t base;
    uint64_t size;
    Device* device;
    uint16_t device_index;      // index into VirtualMotherboard::devices()
    uint64_t first_offset = 0;  // the offset the device sees at `base`
    // The offset handed to the device for an access at `address`.
    uint64_t offset(uint64_t address) const { return address - base + first_offset; }
};

class VirtualMotherboard {
  public:
    // Adds a device to the board without claiming anything (yet). Returns its
    // index. The board does not own devices; they must outlive it.
    uint16_t attach(Device& device);

    // Claims [base, base + size) of `space` for `device` (attached on the fly
    // if needed). Throws std::invalid_argument naming both devices when the
    // range overlaps an existing claim, or when it is empty or wraps.
    // `first_offset` is the offset the device sees at `base`: a device with
    // registers in several ranges numbers them across its claims (the 8254
    // PIT claims 0x40-0x43 from offset 0 and port 0x61 as offset 0x21), so
    // it still learns from the offset alone which register was meant.
    void claim(Space space, uint64_t base, uint64_t size, Device& device,
               uint64_t first_offset = 0);

    // The claim covering `address`, or nullptr for an unclaimed address.
    const Claim* find(Space space, uint64_t address) const;

    const std::vector<Device*>& devices() const { return devices_; }
    const std::vector<Claim>& claims(Space space) const;

  private:
    std::vector<Device*> devices_;
    std::vector<Claim> pio_;   // sorted by base, non-overlapping
    std::vector<Claim> mmio_;  // sorted by base, non-overlapping
};

}  // namespace ptv::vmb

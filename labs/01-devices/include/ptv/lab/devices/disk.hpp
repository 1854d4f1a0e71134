// The disk behind both of the lab's devices: its sectors in the host's
// memory, as a worker process keeps a VM's virtual disk in a file it has
// open. The emulated ATA disk and the para-virtualized block device are two
// doors to the same Disk; only the way the guest knocks differs.
// Provided by the kit (graded with the kit's copy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/portmap.h"

namespace ptv::lab::devices {

class Disk {
  public:
    static constexpr uint32_t kSectorSize = PTV_ATA_SECTOR_SIZE;  // 512 bytes

    explicit Disk(uint32_t sectors) : bytes_(size_t(sectors) * kSectorSize) {}

    uint32_t sectors() const { return uint32_t(bytes_.size() / kSectorSize); }

    // Whether sectors [lba, lba + count) all lie on the disk (no overflow:
    // any 64-bit values may be asked about).
    bool contains(uint64_t lba, uint64_t count) const {
        return count <= sectors() && lba <= sectors() - count;
    }

    // One sector's 512 bytes; throws std::out_of_range past the end.
    std::span<uint8_t> sector(uint64_t lba) {
        check(lba);
        return {bytes_.data() + lba * kSectorSize, kSectorSize};
    }
    std::span<const uint8_t> sector(uint64_t lba) const {
        check(lba);
        return {bytes_.data() + lba * kSectorSize, kSectorSize};
    }

    // The whole disk, sector 0 first.
    std::span<uint8_t> bytes() { return bytes_; }
    std::span<const uint8_t> bytes() const { return bytes_; }

  private:
    void check(uint64_t lba) const {
        if (lba >= sectors())
            throw std::out_of_range("disk: sector " + std::to_string(lba) + " of a " +
                                    std::to_string(sectors()) + "-sector disk");
    }

    std::vector<uint8_t> bytes_;
};

}  // namespace ptv::lab::devices

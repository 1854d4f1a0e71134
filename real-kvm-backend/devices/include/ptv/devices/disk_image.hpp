// The store behind the PV disk: sectors of PTV_ATA_SECTOR_SIZE bytes, either
// built in (in memory, every word numbered so a guest can check what it
// read: PTV_PVDISK_SIM_WORD) or an image file the user gives. The device
// reads and writes it from whichever thread runs its jobs (a pool's worker,
// an event loop, the vCPU), so every method is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ptv/portmap.h"

namespace ptv::devices {

class DiskImage {
  public:
    // In memory: `sectors` sectors whose word w of sector s is
    // PTV_PVDISK_SIM_WORD(s, w). Writes are kept for the image's life.
    static std::shared_ptr<DiskImage> simulated(uint32_t sectors = PTV_PVDISK_SIM_SECTORS);
    // An image file, opened for reading and writing; its size must be a
    // positive multiple of the sector size. Throws ptv::UsageError, one line
    // saying what was wrong and what to do, when it cannot be used.
    static std::shared_ptr<DiskImage> open(const std::string& path);

    ~DiskImage();
    DiskImage(const DiskImage&) = delete;
    DiskImage& operator=(const DiskImage&) = delete;

    uint64_t sectors() const { return sectors_; }
    // Moves `count` sectors from LBA `lba`: the caller has checked the range
    // (lba + count <= sectors(), a buffer of count sectors); a range it has
    // not is std::out_of_range, and a failing file std::runtime_error.
    void read(uint64_t lba, uint32_t count, std::span<uint8_t> out);
    void write(uint64_t lba, uint32_t count, std::span<const uint8_t> in);
    // "built-in, 4096 sectors", or the image file's path.
    std::string describe() const;

  private:
    DiskImage() = default;
    void check(uint64_t lba, uint32_t count, size_t bytes) const;

    uint64_t sectors_ = 0;
    int fd_ = -1;  // an image file; -1: built in
    std::string path_;
    // The built-in disk: a sector reads its pattern until it is written;
    // only written sectors take memory, so every worker can have one.
    std::mutex lock_;
    std::unordered_map<uint64_t, std::array<uint8_t, PTV_ATA_SECTOR_SIZE>> written_;
};

}  // namespace ptv::devices

// Part 1: an emulated disk at the register level (README.md, part 1).
//
// The guest's driver (guests/disk-ata.asm) was written for a real ATA
// controller: it programs the task file (sector count, LBA low/mid/high,
// drive/head), writes a command, polls the status register and moves every
// sector through the 16-bit data register, one word at a time. Each of
// those INs and OUTs is a VM exit that ends up in read() or write() below.
//
// The registers and bits are in ptv/portmap.h (PTV_ATA_*). Complete each
// command synchronously: when write() of the command register returns, the
// first sector must be ready (status DRDY | DRQ), so the guest's first poll
// sees it -- the harness counts the exits exactly.
#include <array>
#include <cstring>

#include "ptv/lab/devices/block_devices.hpp"
#include "ptv/lab/harness.hpp"
#include "ptv/portmap.h"

namespace ptv::lab::devices {

namespace {

class AtaDisk : public vmb::Device {
  public:
    explicit AtaDisk(Disk& disk) : disk_(disk) {}

    void plug_in(vmb::VirtualMotherboard& board) override {
        // TODO(L1): claim the eight ports of the primary ATA channel,
        // PTV_ATA_BASE .. PTV_ATA_BASE + PTV_ATA_SIZE - 1 (see
        // real-kvm-backend/devices/src/pv_console.cpp for a claim).
        (void)board;
        throw NotImplemented("AtaDisk::plug_in (TODO(L1) in ata_disk.cpp)");
    }
    std::string_view name() const override { return kAtaDiskName; }

    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override {
        // TODO(L1): an IN from PTV_ATA_BASE + offset, data.size() bytes wide:
        //  - the data register (16 bits): the next word of the sector under
        //    transfer; after its last word, the next sector, or the end of
        //    the command (DRQ drops);
        //  - the status register: BSY, DRDY, DRQ, ERR as they are now;
        //  - the error register: ABRT or IDNF after a refused command;
        //  - the task-file registers: what the guest wrote.
        (void)offset;
        (void)data;
        throw NotImplemented("AtaDisk::read (TODO(L1) in ata_disk.cpp)");
    }

    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override {
        // TODO(L1): an OUT to PTV_ATA_BASE + offset: a task-file register,
        // the command register (READ SECTORS 0x20, WRITE SECTORS 0x30: check
        // the drive, the LBA mode and the range, then get the first sector
        // ready), or the data register during a write. A sector count of 0
        // means 256 sectors. Answer {} (the disk never stops the VM).
        (void)offset;
        (void)data;
        throw NotImplemented("AtaDisk::write (TODO(L1) in ata_disk.cpp)");
    }

  private:
    Disk& disk_;
    // TODO(L1): the task file, the status and error registers, and the
    // command in progress (which sector, how many left, where in it).
};

}  // namespace

std::unique_ptr<vmb::Device> make_ata_disk(Disk& disk) {
    return std::make_unique<AtaDisk>(disk);
}

}  // namespace ptv::lab::devices

// Parts 2 and 3: a para-virtualized block device (README.md, parts 2, 3).
//
// The guest (guests/disk-pv.asm) knows it is virtualized: it puts a batch
// of requests into a ring in its own RAM and rings the doorbell once, with
// a 32-bit OUT of the ring's guest-physical address: one exit per batch.
// The ring's layout is in ptv/portmap.h (PTV_PVBLK_*).
//
// Everything in the ring comes from the guest. Check every index and
// address before you use it, and read each field once into your own
// memory (no double fetch). A ring you cannot trust stops the VM: answer a
// vmb::StopRequest of kind DeviceError naming what was wrong (the PV
// console, real-kvm-backend/devices/src/pv_console.cpp, does the same).
#include <cstring>
#include <string>
#include <vector>

#include "ptv/lab/devices/block_devices.hpp"
#include "ptv/lab/harness.hpp"
#include "ptv/portmap.h"

namespace ptv::lab::devices {

namespace {

class PvBlock : public vmb::Device {
  public:
    PvBlock(Disk& disk, vmb::Machine& machine) : disk_(disk), machine_(machine) {}

    void plug_in(vmb::VirtualMotherboard& board) override {
        // TODO(L1): claim the doorbell, PTV_PVBLK_DOORBELL_PORT, 4 ports.
        (void)board;
        throw NotImplemented("PvBlock::plug_in (TODO(L1) in pv_block.cpp)");
    }
    std::string_view name() const override { return kPvBlockName; }
    std::string_view kind() const override { return "paravirtual"; }

    void read(vmb::Space, uint64_t, std::span<uint8_t> data) override {
        std::memset(data.data(), 0, data.size());  // the doorbell reads as 0
    }

    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override {
        // TODO(L1): a doorbell: a 32-bit write at offset 0 whose value is
        // the ring's guest-physical address. Check the ring (inside RAM,
        // magic, size, head - tail), fetch the batch into your own memory
        // and check each request (count, buffer inside RAM), then do the
        // requests against disk_ and machine_.ram(), write each status and
        // finally tail = head. Tell machine_.mark_dirty() what you wrote to
        // guest RAM.
        (void)offset;
        (void)data;
        (void)disk_;
        (void)machine_;
        throw NotImplemented("PvBlock::write (TODO(L1) in pv_block.cpp)");
    }

  private:
    Disk& disk_;
    vmb::Machine& machine_;
};

}  // namespace

std::unique_ptr<vmb::Device> make_pv_block(Disk& disk, vmb::Machine& machine) {
    return std::make_unique<PvBlock>(disk, machine);
}

}  // namespace ptv::lab::devices

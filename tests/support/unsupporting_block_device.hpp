// A para-virtualized block device that supports no operation: at each
// doorbell it answers every waiting request of the disk-pv guest's ring
// with PTV_PVBLK_S_UNSUPP and moves tail up to head. The smallest device a
// test can plug into a machine beside the registry's (GuestConfig's
// extra_devices, VirtualMachine's `extra`) and see the guest reach.
#pragma once

#include <cstring>
#include <memory>

#include "ptv/devices/registry.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::test {

class UnsupportingBlockDevice : public vmb::Device {
  public:
    UnsupportingBlockDevice(vmb::Machine& machine, int& doorbells)
        : machine_(machine), doorbells_(doorbells) {}
    void plug_in(vmb::VirtualMotherboard& board) override {
        board.claim(vmb::Space::Pio, PTV_PVBLK_DOORBELL_PORT, PTV_PVBLK_DOORBELL_SIZE, *this);
    }
    std::string_view name() const override { return "unsupporting-block"; }
    void read(vmb::Space, uint64_t, std::span<uint8_t> data) override {
        std::memset(data.data(), 0, data.size());
    }
    // Trusts the ring: the guest is ours (a lab's device must not).
    vmb::Response write(vmb::Space, uint64_t, std::span<const uint8_t> data) override {
        ++doorbells_;
        uint32_t gpa = 0, size = 0, head = 0, tail = 0;
        std::memcpy(&gpa, data.data(), 4);
        uint8_t* ring = machine_.ram().data() + gpa;
        std::memcpy(&size, ring + PTV_PVBLK_OFF_SIZE, 4);
        std::memcpy(&head, ring + PTV_PVBLK_OFF_HEAD, 4);
        std::memcpy(&tail, ring + PTV_PVBLK_OFF_TAIL, 4);
        const uint32_t status = PTV_PVBLK_S_UNSUPP;
        for (uint32_t i = tail; i != head; ++i)
            std::memcpy(
                ring + PTV_PVBLK_OFF_REQ + (i % size) * PTV_PVBLK_REQ_SIZE + PTV_PVBLK_REQ_STATUS,
                &status, 4);
        std::memcpy(ring + PTV_PVBLK_OFF_TAIL, &head, 4);
        return {};
    }

    static devices::DeviceEntry entry(int& doorbells) {
        return {"unsupporting-block", devices::InitLevel::Paravirtual,
                [&doorbells](vmb::Machine& m) -> std::unique_ptr<vmb::Device> {
                    return std::make_unique<UnsupportingBlockDevice>(m, doorbells);
                }};
    }

  private:
    vmb::Machine& machine_;
    int& doorbells_;
};

// disk-pv with this device and the script "r7,1+w3,2,5": one doorbell.
inline constexpr const char* kUnsupportedScript = "r7,1+w3,2,5";
inline constexpr const char* kUnsupportedOutput =
    "req 1: read lba 7 count 1 status 2\n"
    "req 2: write lba 3 count 2 status 2\n"
    "disk-pv: 2 requests in 1 doorbells\n";

}  // namespace ptv::test

// The two devices of lab 01, as the kit's harness plugs them into a machine
// (the CPU model's, or the KVM worker's). You write them, in
// starter/ata_disk.cpp and starter/pv_block.cpp; the harness only calls
// these two factories and then talks to the devices through the bus
// (ptv/vmb/device.hpp), as every device of the kit is talked to.
// Provided by the kit (graded with the kit's copy).
#pragma once

#include <memory>
#include <string_view>

#include "ptv/lab/devices/disk.hpp"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::lab::devices {

// The names the devices answer with name(): the rows of the exit table and
// the `device` of a StopRequest.
inline constexpr std::string_view kAtaDiskName = "ata-disk";
inline constexpr std::string_view kPvBlockName = "pv-block";

// An emulated disk at the register level: the primary ATA channel, ports
// PTV_ATA_BASE .. PTV_ATA_BASE + 7, READ SECTORS and WRITE SECTORS in PIO
// mode (README.md, part 1). It reaches the guest only through its registers.
std::unique_ptr<vmb::Device> make_ata_disk(Disk& disk);

// A para-virtualized block device: a request ring in the guest's RAM
// (`machine.ram()`) and a doorbell at PTV_PVBLK_DOORBELL_PORT (README.md,
// part 2).
std::unique_ptr<vmb::Device> make_pv_block(Disk& disk, vmb::Machine& machine);

}  // namespace ptv::lab::devices

// The loader's half of the multiboot contract (Multiboot Specification 0.6.96,
// section 3.2, "Machine state"): a real GDT with flat 32-bit segments written
// into guest memory, the multiboot information structure (memory sizes, a
// memory map, the command line, our name), a stack, and a vCPU in 32-bit
// protected mode at the entry point with EAX = 0x2BADB002, EBX = the
// information structure, paging off and interrupts off.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "ptv/vid/kvm.hpp"

namespace ptv::worker {

// Writes GDT, TSS, multiboot information, memory map and command line into
// the boot area of guest RAM (see PTV_BOOT_* in ptv/portmap.h).
void write_boot_area(std::span<uint8_t> ram, const std::string& cmdline);

// Puts the vCPU in the state the specification promises the kernel.
void enter_protected_mode(vid::Vcpu& vcpu, uint32_t entry);

}  // namespace ptv::worker

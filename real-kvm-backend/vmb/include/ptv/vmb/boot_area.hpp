// The firmware's half of the multiboot contract (Multiboot Specification
// 0.6.96, section 3.2, "Machine state"), the part that is only bytes in guest
// RAM: a real GDT with flat 32-bit segments and a TSS, the multiboot
// information structure (memory sizes, a memory map, the command line, our
// name). The KVM worker and the CPU model of sim/vmm both boot through it, so
// a guest starts from the same memory on both. Putting a vCPU into the state
// the specification promises is the caller's part (worker/boot.hpp for KVM).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "ptv/portmap.h"

namespace ptv::vmb {

// The 32-bit TSS sits right after the GDT; VMX insists on a valid TR.
constexpr uint32_t kBootTss = PTV_BOOT_GDT + 0x100;
constexpr uint32_t kBootTssLimit = 0x67;
// GDTR limit of the boot GDT (null, code, data, TSS).
constexpr uint16_t kBootGdtLimit = PTV_GDT_TSS_SEL + 7;
// EFLAGS at entry: bit 1 is always set; IF clear.
constexpr uint32_t kBootEflags = 0x2;
// CR0 at entry: PE (protected mode) | ET; paging off.
constexpr uint32_t kBootCr0 = 0x11;

// Writes GDT, TSS, multiboot information, memory map and command line into
// the boot area of guest RAM (see PTV_BOOT_* in ptv/portmap.h).
void write_boot_area(std::span<uint8_t> ram, const std::string& cmdline);

}  // namespace ptv::vmb

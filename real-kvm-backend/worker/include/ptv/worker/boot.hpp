// The vCPU's half of the multiboot contract (Multiboot Specification 0.6.96,
// section 3.2, "Machine state"): 32-bit protected mode at the entry point with
// flat segments from the boot GDT (vmb/boot_area.hpp writes it), EAX =
// 0x2BADB002, EBX = the information structure, a stack, paging off and
// interrupts off.
#pragma once

#include <cstdint>

#include "ptv/vid/kvm.hpp"

namespace ptv::worker {

// Puts the vCPU in the state the specification promises the kernel.
void enter_protected_mode(vid::Vcpu& vcpu, uint32_t entry);

}  // namespace ptv::worker

// The vCPU's half of the multiboot contract (Multiboot Specification 0.6.96,
// section 3.2, "Machine state"): 32-bit protected mode at the entry point with
// flat segments from the boot GDT (vmb/boot_area.hpp writes it), EAX =
// 0x2BADB002, EBX = the information structure, a stack, paging off and
// interrupts off. With several vCPUs, every one starts the same way, each
// with its CPU number and a stack of its own (ptv/portmap.h, "Several
// vCPUs"); an application processor is told apart by EAX.
#pragma once

#include <cstdint>

#include "ptv/vid/kvm.hpp"

namespace ptv::worker {

// Puts the vCPU in the state the specification promises the kernel: CPU
// `cpu` of `cpus`.
void enter_protected_mode(vid::Vcpu& vcpu, uint32_t entry, uint32_t cpu = 0, uint32_t cpus = 1);

}  // namespace ptv::worker

#include "ptv/worker/boot.hpp"

#include "ptv/portmap.h"
#include "ptv/vmb/boot_area.hpp"

namespace ptv::worker {

namespace {

// The hidden part of a segment register, matching the descriptor above.
kvm_segment flat_segment(uint16_t selector, uint8_t type) {
    kvm_segment s{};
    s.base = 0;
    s.limit = 0xffffffff;
    s.selector = selector;
    s.type = type;
    s.present = 1;
    s.dpl = 0;
    s.db = 1;  // 32-bit
    s.s = 1;   // code/data, not system
    s.l = 0;
    s.g = 1;  // 4 KiB granularity
    return s;
}

}  // namespace

void enter_protected_mode(vid::Vcpu& vcpu, uint32_t entry, uint32_t cpu, uint32_t cpus) {
    kvm_sregs s = vcpu.sregs();
    s.cs = flat_segment(PTV_GDT_CODE_SEL, 0xb);  // execute/read, accessed
    s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(PTV_GDT_DATA_SEL, 0x3);  // read/write, accessed
    s.tr = {};
    s.tr.base = vmb::kBootTss;
    s.tr.limit = vmb::kBootTssLimit;
    s.tr.selector = PTV_GDT_TSS_SEL;
    s.tr.type = 0xb;  // busy 32-bit TSS, as VM entry requires
    s.tr.present = 1;
    s.ldt = {};
    s.ldt.unusable = 1;
    s.gdt.base = PTV_BOOT_GDT;
    s.gdt.limit = vmb::kBootGdtLimit;
    // No IDT yet: an exception before the kernel loads its own is a triple
    // fault, which the worker reports with the faulting RIP.
    s.idt.base = 0;
    s.idt.limit = 0;
    s.cr0 = vmb::kBootCr0;
    s.cr3 = 0;
    s.cr4 = 0;
    s.efer = 0;
    vcpu.set_sregs(s);

    kvm_regs r{};
    r.rflags = vmb::kBootEflags;
    r.rip = entry;
    r.rax = cpu == 0 ? PTV_MULTIBOOT_BOOTLOADER_MAGIC : PTV_AP_BOOT_MAGIC;
    r.rbx = PTV_BOOT_INFO;
    r.rsp = PTV_BOOT_STACK_TOP - uint64_t(cpu) * PTV_CPU_STACK_SIZE;
    r.rdi = cpu;
    r.rsi = cpus;
    vcpu.set_regs(r);
}

}  // namespace ptv::worker

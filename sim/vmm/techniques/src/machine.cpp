#include "ptv/vmm/machine.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <cstdio>
#include <cstring>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/boot_area.hpp"
#include "ptv/vmb/multiboot.hpp"

namespace ptv::vmm {

namespace {

std::vector<uint8_t> checked_ram(uint32_t mib) {
    if (mib < 2 || mib > PTV_RAM_MAX_MIB)
        throw UsageError(
            fmt::format("--memory {} is out of range; give 2 to {} MiB", mib, PTV_RAM_MAX_MIB));
    return std::vector<uint8_t>(size_t(mib) << 20, 0);
}

Segment flat(uint16_t selector, uint8_t access) {
    Segment s;
    s.selector = selector;
    s.base = 0;
    s.limit = 0xffffffff;
    s.access = access;
    s.db = true;
    return s;
}

}  // namespace

SimulatedMachine::SimulatedMachine(const GuestConfig& config)
    : config_(config), ram_(checked_ram(config.memory_mib)) {
    const std::vector<uint8_t> file = vmb::read_image_file(config_.image_path);
    const vmb::MultibootImage image = vmb::parse_multiboot(file, config_.name);
    vmb::load_multiboot(image, file, ram_, config_.name);
    vmb::write_boot_area(ram_, config_.cmdline);
    entry_ = image.entry;
    devices_.attach(board_);  // the KVM worker's devices, in its order
    dispatcher_ = std::make_unique<vnd::NotificationDispatcher>(board_);
}

void SimulatedMachine::boot(CpuState& s) const {
    // Multiboot spec 3.2, as worker/boot.cpp does it for a KVM vCPU.
    s = CpuState{};
    s.seg[CS] = flat(PTV_GDT_CODE_SEL, 0x9b);
    for (Sreg r : {ES, SS, DS, FS, GS}) s.seg[r] = flat(PTV_GDT_DATA_SEL, 0x93);
    s.tr.selector = PTV_GDT_TSS_SEL;
    s.tr.base = vmb::kBootTss;
    s.tr.limit = vmb::kBootTssLimit;
    s.tr.access = 0x8b;
    s.ldtr.usable = false;
    s.gdtr = {PTV_BOOT_GDT, vmb::kBootGdtLimit};
    s.idtr = {0, 0};
    s.cr0 = vmb::kBootCr0;
    s.eflags = vmb::kBootEflags;
    s.eip = entry_;
    s.gpr[EAX] = PTV_MULTIBOOT_BOOTLOADER_MAGIC;
    s.gpr[EBX] = PTV_BOOT_INFO;
    s.gpr[ESP] = PTV_BOOT_STACK_TOP;
}

vnd::Exit SimulatedMachine::make_exit(Cpu& cpu, vnd::ExitReason reason, uint32_t address,
                                      uint8_t size, bool is_write) {
    vnd::Exit e;
    e.t_exit_ns = now_ns();  // the trace's exit time (0 put exits 19,000 s before t0)
    e.reason = reason;
    e.address = address;
    e.size = size;
    e.is_write = is_write;
    e.interrupts_enabled = cpu.state().interrupts_enabled();
    if (dispatcher_->logging()) {
        // The model reports a device access from inside the instruction,
        // with EIP already past it (as KVM does for OUT): the bytes around
        // EIP, as the worker captures them, let vnd decode the culprit
        // whichever side of EIP it is on.
        const uint32_t rip = cpu.state().seg[CS].base + cpu.state().eip;
        const uint32_t before = std::min<uint32_t>(rip, 16);
        e.rip = cpu.state().eip;
        e.cpu_mode = 1;
        e.code_rip_offset = uint8_t(before);
        e.code_len = 32;
        for (uint32_t i = 0; i < 32; ++i) {
            const uint64_t a = uint64_t(rip) - before + i;
            e.code[i] = a < ram_.size() ? ram_[a] : 0xff;
        }
        e.has_code = true;
    }
    return e;
}

uint32_t SimulatedMachine::access(Cpu& cpu, vnd::Exit& exit, uint32_t value) {
    uint8_t data[8] = {};
    std::memcpy(data, &value, 4);
    exit.data = data;
    const vnd::Notification n = dispatcher_->dispatch(exit);
    if (n.unclaimed && exit.reason == vnd::ExitReason::Mmio && exit.is_write &&
        !config_.allow_unclaimed_mmio && !bus_error_) {
        bus_error_ = true;
        cpu.request_stop(fmt::format(
            "bus error: guest wrote {} byte(s) to {:#x}, MMIO space no device claims, at EIP {:#x} "
            "(--allow-unclaimed-mmio drops such writes instead)",
            exit.size, exit.address, cpu.state().eip));
    }
    uint32_t out = 0;
    std::memcpy(&out, data, 4);
    return exit.size == 4 ? out : out & ((1u << (exit.size * 8)) - 1);
}

void SimulatedMachine::console_write(std::string_view bytes) {
    output_.append(bytes);
    if (config_.echo) {
        std::fwrite(bytes.data(), 1, bytes.size(), stdout);
        std::fflush(stdout);
    }
}

void SimulatedMachine::request_stop(vmb::StopRequest request) {
    if (stop_) return;
    stop_ = std::move(request);
    if (cpu_)
        cpu_->request_stop(
            stop_->kind == vmb::StopRequest::Kind::GuestExit
                ? fmt::format("guest wrote status {} to the debug-exit port", stop_->status)
                : stop_->device + ": " + stop_->message);
}

}  // namespace ptv::vmm

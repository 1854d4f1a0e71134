#include "ptv/vmm/machine.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <cstdio>
#include <cstring>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/vga_screen.hpp"
#include "ptv/devices/event_channel.hpp"
#include "ptv/devices/i8042.hpp"
#include "ptv/devices/vga_text.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/boot_area.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/vnd/guest_code.hpp"

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
    : config_(config),
      ram_(checked_ram(config.memory_mib)),
      policy_({config.allow_unclaimed_mmio}) {
    const std::vector<uint8_t> file =
        config_.image.empty() ? vmb::read_image_file(config_.image_path) : config_.image;
    const vmb::MultibootImage image = vmb::parse_multiboot(file, config_.name);
    vmb::load_multiboot(image, file, ram_, config_.name);
    vmb::write_boot_area(ram_, config_.cmdline);
    entry_ = image.entry;
    for (const devices::DeviceEntry& e : config_.extra_devices)
        devices_.add(e.make(*this), e.level);
    devices_.plug_into(board_);  // the KVM worker's devices, in its order
    dispatcher_ = std::make_unique<vnd::NotificationDispatcher>(board_);
    pv_clock_ = dynamic_cast<devices::PvClock*>(devices_.find("pv-clock"));
    if (auto* events = dynamic_cast<devices::EventChannel*>(devices_.find("event-channel")))
        dispatcher_->set_guest_notifier(
            [events](const vmb::Completion& c) { events->post(c.vcpu, c.event); });
    if (config_.prepare_devices) config_.prepare_devices(devices_);
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
    // CPU 0 of one (portmap.h, "Several vCPUs"): the model has one CPU.
    s.gpr[EDI] = 0;
    s.gpr[ESI] = 1;
}

void SimulatedMachine::attach(Cpu& cpu) {
    cpu_ = &cpu;
    dispatcher_->set_clock(
        [](const void* c) {
            return static_cast<const Cpu*>(c)->counters().instructions * kNsPerInstruction;
        },
        &cpu);
    if (!keys_pressed_ && !config_.keys.empty()) {
        auto& keyboard = devices_.get<devices::I8042>();
        for (const devices::ScheduledKey& k : config_.keys) keyboard.press(k.key, k.at_ns);
    }
    keys_pressed_ = true;
    next_refresh_ = cpu.counters().instructions + kRefreshInstructions;
    cpu.set_timer(next_refresh_);
}

void SimulatedMachine::timer(Cpu& cpu) {
    // Translated code runs to the end of its block first: the page shows
    // the time of the deadline all the same, so it reads alike under every
    // technique, and the deadlines stay 1 ms apart.
    if (pv_clock_) pv_clock_->refresh_as_of(next_refresh_ * kNsPerInstruction);
    while (next_refresh_ <= cpu.counters().instructions) next_refresh_ += kRefreshInstructions;
    cpu.set_timer(next_refresh_);
}

vnd::Exit SimulatedMachine::make_exit(Cpu& cpu, vnd::ExitReason reason, uint32_t address,
                                      uint8_t size, bool is_write) {
    vnd::Exit e;
    e.t_exit_ns = dispatcher_->now();
    e.reason = reason;
    e.address = address;
    e.size = size;
    e.is_write = is_write;
    e.interrupts_enabled = cpu.state().interrupts_enabled();
    // The model reports a device access from inside the instruction, with
    // EIP already past it (as KVM does for OUT): the bytes around EIP let
    // vnd decode the culprit whichever side of EIP it is on.
    if (dispatcher_->logging()) capture_code(cpu, e);
    return e;
}

void SimulatedMachine::capture_code(const Cpu& cpu, vnd::Exit& exit) const {
    const CpuState& s = cpu.state();
    vnd::capture_code(exit, ram_, uint64_t(s.seg[CS].base) + s.eip, s.eip, CpuMode::Protected32);
}

std::optional<vnd::Verdict> SimulatedMachine::judge(const Cpu& cpu, vnd::Exit& exit,
                                                    const vnd::Notification& n) const {
    return policy_.judge(exit, n, [this, &cpu](vnd::Exit& e) { capture_code(cpu, e); });
}

std::optional<vnd::Verdict> SimulatedMachine::dispatch(Cpu& cpu, vnd::Exit& exit) {
    return judge(cpu, exit, dispatcher_->dispatch(exit));
}

uint32_t SimulatedMachine::access(Cpu& cpu, vnd::Exit& exit, uint32_t value) {
    uint8_t data[8] = {};
    std::memcpy(data, &value, 4);
    exit.data = data;
    if (auto verdict = dispatch(cpu, exit)) [[unlikely]]
        cpu.request_stop(verdict->message, verdict->outcome);
    uint32_t out = 0;
    std::memcpy(&out, data, 4);
    return exit.size == 4 ? out : out & ((1u << (exit.size * 8)) - 1);
}

std::vector<std::string> SimulatedMachine::screen() const {
    std::vector<std::string> lines;
    const std::string text = screen_text(devices_.get<devices::VgaText>().capture());
    for (size_t at = 0; at < text.size();) {
        const size_t nl = text.find('\n', at);
        lines.push_back(text.substr(at, nl - at));
        at = nl + 1;
    }
    return lines;
}

void SimulatedMachine::console_write(std::string_view bytes) {
    output_.append(bytes);
    if (config_.echo) {
        std::fwrite(bytes.data(), 1, bytes.size(), stdout);
        std::fflush(stdout);
    }
}

void SimulatedMachine::complete(const vmb::Completion& completion) {
    dispatcher_->complete(completion);
}

}  // namespace ptv::vmm

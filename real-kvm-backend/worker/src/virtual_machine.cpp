#include "ptv/worker/virtual_machine.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>

#include "console_write.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/final_state.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/boot_area.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/vnd/guest_code.hpp"
#include "ptv/worker/boot.hpp"
#include "ptv/worker/snapshot_file.hpp"

namespace ptv::worker {

namespace {

uint64_t checked_memory_bytes(uint32_t mib) {
    if (mib < 2 || mib > PTV_RAM_MAX_MIB)
        throw UsageError(
            fmt::format("--memory {} is out of range; give 2 to {} MiB", mib, PTV_RAM_MAX_MIB));
    return uint64_t(mib) << 20;
}

constexpr uint64_t kPage = 4096;

// CPUID as vCPU `cpu` answers it: its own initial APIC ID (leaf 1, EBX
// bits 31-24) and x2APIC ID (leaf 0xB, EDX), as each processor of a real
// machine has (Intel SDM vol. 2A, CPUID). KVM's supported list leaves them
// to the VMM.
std::vector<kvm_cpuid_entry2> cpuid_of_cpu(std::vector<kvm_cpuid_entry2> cpuid, uint32_t cpu) {
    for (kvm_cpuid_entry2& e : cpuid) {
        if (e.function == 1) e.ebx = (e.ebx & 0x00ffffffu) | (cpu << 24);
        if (e.function == 0xb) e.edx = cpu;
    }
    return cpuid;
}

}  // namespace

VirtualMachine::VirtualMachine(uint32_t memory_mib, vnd::ExitPolicy::Options policy,
                               ConsoleConfig console,
                               const std::vector<devices::DeviceEntry>& extra)
    : console_(std::move(console)),
      vm_(kvm_),
      memory_(checked_memory_bytes(memory_mib)),
      policy_(policy) {
    // Bring-up order is plug-in order: the legacy PC devices, then the
    // para-virtual ones, then the microbenchmark MMIO page (registry.cpp).
    for (const devices::DeviceEntry& e : extra) devices_.add(e.make(*this), e.level);
    devices_.plug_into(board_);
    dispatcher_ = std::make_unique<vnd::NotificationDispatcher>(board_);
}

VirtualMachine::~VirtualMachine() = default;

void VirtualMachine::boot(const std::vector<uint8_t>& file, const std::string& name,
                          const std::string& cmdline, const std::vector<kvm_cpuid_entry2>& cpuid,
                          uint32_t cpus) {
    const vmb::MultibootImage image = vmb::parse_multiboot(file, name);
    vmb::load_multiboot(image, file, memory_.span(), name);
    vmb::write_boot_area(memory_.span(), cmdline);
    create_empty();
    for (uint32_t i = 1; i < cpus; ++i) vcpus_.push_back(std::make_unique<vid::Vcpu>(vm_, int(i)));
    dispatcher_->set_vcpus(uint8_t(cpus));
    for (uint32_t i = 0; i < cpus; ++i) {
        vcpus_[i]->set_cpuid(cpuid_of_cpu(cpuid, i));
        enter_protected_mode(*vcpus_[i], image.entry, i, cpus);
    }
}

void VirtualMachine::create_empty() {
    vm_.map_memory(0, 0, memory_);
    vcpus_.push_back(std::make_unique<vid::Vcpu>(vm_, 0));
}

// The vCPU, then the devices, from a snapshot's or a migration's state.
// Memory is in place already: KVM may read guest memory as soon as the
// segment and control registers are set. The vCPU's own order (CPUID before
// anything that depends on the features it grants, SREGS before REGS, the
// pending events last) is vid::Vcpu::restore_state's. Devices come after
// the vCPU and before it first runs: no device may talk to a vCPU that is
// not whole, and the guest's first instruction may talk to a device.
void VirtualMachine::restore(const nlohmann::json& st) {
    vid::VcpuState::Sections sections;
    const auto& cpu = st["vcpus"].at(0);
    for (const auto& [name, hex] : cpu.at("sections").items())
        sections[name] = hex_decode(hex.get<std::string>());
    if (vcpus_.empty()) vcpus_.push_back(std::make_unique<vid::Vcpu>(vm_, cpu.at("id").get<int>()));
    vcpus_[0]->restore_state(vid::VcpuState::from_sections(sections));
    devices_.load_state(st["devices"]);
    serial_bytes_ = st.value("serial_bytes", uint64_t(0));
}

// One vCPU only: the worker refuses a checkpoint of more (checkpoint.cpp).
nlohmann::json VirtualMachine::save_state() const {
    const vid::Vcpu& vcpu = *vcpus_.at(0);
    const vid::VcpuState cpu = vcpu.save_state();
    nlohmann::json sections = nlohmann::json::object();
    for (const auto& [name, bytes] : cpu.sections()) sections[name] = hex_encode(bytes);
    return {{"serial_bytes", serial_bytes_},
            {"vcpus", nlohmann::json::array({{{"id", vcpu.id()}, {"sections", sections}}})},
            {"devices", devices_.save_state()}};
}

void VirtualMachine::enable_trace(size_t capacity) {
    dispatcher_->enable_log(capacity);
    for (auto& vcpu : vcpus_) vcpu->sync_regs(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
}

void VirtualMachine::capture_code(vnd::Exit& exit) const {
    try {
        const vid::Vcpu::CodeLocation at = vcpus_.at(exit.vcpu)->code_location();
        exit.rip = at.rip;
        if (at.phys) vnd::capture_code(exit, memory_.span(), *at.phys, at.rip, at.mode);
    } catch (const vid::KvmError&) {
        // KVM no longer answers: the message goes without the instruction.
    }
}

void VirtualMachine::console_write(std::string_view bytes) {
    serial_bytes_ += bytes.size();
    if (serial_.size() < console_.capture)
        serial_.append(bytes.substr(0, console_.capture - serial_.size()));
    if (console_.sink) return console_.sink(bytes);
    if (console_.fd < 0) return;
    // Unbuffered, like a wire: a prompt without a newline shows at once.
    write_to_console(console_.fd, bytes);
}

void VirtualMachine::complete(const vmb::Completion& completion) {
    dispatcher_->complete(completion);
}

void VirtualMachine::submit(vmb::IoJob job) {
    {
        std::lock_guard lock(io_lock_);
        ++jobs_in_flight_;
    }
    // When tracing, the job's wait and service join its request's path.
    vnd::RequestPath* path = dispatcher_->path();
    const uint64_t id = path ? path->job_submitted(dispatcher_->now()) : 0;
    job.run = [this, path, id, run = std::move(job.run)] {
        const uint64_t t_start = path ? dispatcher_->now() : 0;
        {
            vnd::RequestPath::Scope scope(0, id);  // its completion names it
            run();
        }
        if (path) path->job_done(id, t_start, dispatcher_->now());
        std::lock_guard lock(io_lock_);
        if (--jobs_in_flight_ == 0) io_done_.notify_all();
    };
    dispatcher_->strategy().submit(std::move(job));
}

void VirtualMachine::drain_io() {
    std::unique_lock lock(io_lock_);
    io_done_.wait(lock, [this] { return jobs_in_flight_ == 0; });
}

void VirtualMachine::track_device_writes(bool on) {
    if (on && !device_dirty_) {
        const size_t words = (memory_.size() / kPage + 63) / 64;
        device_dirty_.reset(new std::atomic<uint64_t>[words]());
    }
    device_dirty_on_.store(on, std::memory_order_release);
}

// On the vCPU thread (devices run there).
void VirtualMachine::mark_dirty(uint64_t gpa, uint64_t bytes) {
    if (!device_dirty_on_.load(std::memory_order_acquire) || bytes == 0) return;
    const uint64_t end = std::min<uint64_t>(gpa + bytes, memory_.size());
    for (uint64_t p = gpa / kPage; p * kPage < end; ++p)
        device_dirty_[p / 64].fetch_or(1ull << (p % 64), std::memory_order_relaxed);
}

void VirtualMachine::take_device_writes(std::vector<uint64_t>& bitmap) {
    if (!device_dirty_) return;
    const size_t words = (memory_.size() / kPage + 63) / 64;
    for (size_t w = 0; w < words && w < bitmap.size(); ++w)
        bitmap[w] |= device_dirty_[w].exchange(0, std::memory_order_relaxed);
}

// The guest's state where it stopped (common/final_state.hpp), as the CPU
// model of sim/vmm reports it too.
nlohmann::json VirtualMachine::final_state() const {
    kvm_regs r;
    kvm_sregs s;
    try {
        r = vcpus_.at(0)->regs();
        s = vcpus_.at(0)->sregs();
    } catch (const std::exception&) {
        return nullptr;
    }
    GuestFinalState f;
    f.eax = uint32_t(r.rax);
    f.ebx = uint32_t(r.rbx);
    f.ecx = uint32_t(r.rcx);
    f.edx = uint32_t(r.rdx);
    f.esi = uint32_t(r.rsi);
    f.edi = uint32_t(r.rdi);
    f.ebp = uint32_t(r.rbp);
    f.esp = uint32_t(r.rsp);
    f.eip = uint32_t(r.rip);
    f.eflags = uint32_t(r.rflags);
    f.cs = s.cs.selector;
    f.ss = s.ss.selector;
    f.ds = s.ds.selector;
    f.es = s.es.selector;
    f.fs = s.fs.selector;
    f.gs = s.gs.selector;
    f.cr0 = uint32_t(s.cr0);
    f.memory_hash = memory_hash(memory_.span());
    f.memory_bytes = memory_.size();
    return f.to_json();
}

nlohmann::json VirtualMachine::exit_table() const {
    const auto& d = *dispatcher_;
    nlohmann::json reasons = nlohmann::json::array(), targets = nlohmann::json::array();
    auto row = [](const vnd::Tally& t) {
        return nlohmann::json{{"count", t.count},
                              {"total_ns", t.total_ns},
                              {"mean_ns", t.count ? double(t.total_ns) / double(t.count) : 0.0}};
    };
    for (size_t r = 0; r < size_t(vnd::ExitReason::kCount); ++r) {
        const auto& t = d.by_reason(vnd::ExitReason(r));
        if (!t.count) continue;
        auto x = row(t);
        x["reason"] = vnd::reason_name(vnd::ExitReason(r));
        reasons.push_back(x);
    }
    for (const uint16_t t : d.targets()) {
        const auto& tally = d.by_target(t);
        const uint64_t bells = d.doorbells(t);
        if (!tally.count && !bells) continue;
        auto x = row(tally);
        x["device"] = d.target_name(t);
        x["kind"] = d.target_kind(t);
        // Rings that cost no exit (ioeventfd): not in "count".
        if (bells) x["doorbells"] = bells;
        targets.push_back(x);
    }
    // Each vCPU's exits, by reason.
    nlohmann::json vcpus = nlohmann::json::array();
    for (uint8_t v = 0; v < vcpus_.size(); ++v) {
        nlohmann::json by = nlohmann::json::object();
        for (size_t r = 0; r < size_t(vnd::ExitReason::kCount); ++r)
            if (const auto& t = d.by_vcpu(v, vnd::ExitReason(r)); t.count)
                by[std::string(vnd::reason_name(vnd::ExitReason(r)))] = t.count;
        vcpus.push_back({{"vcpu", v}, {"total", d.vcpu_exits(v)}, {"by_reason", by}});
    }
    return {{"total", d.total_exits()},
            {"by_reason", reasons},
            {"by_device", targets},
            {"by_vcpu", vcpus}};
}

}  // namespace ptv::worker

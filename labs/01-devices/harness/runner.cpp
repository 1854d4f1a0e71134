#include "runner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ptv/common/outcome.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/devices/registry.hpp"
#include "ptv/lab/devices/block_devices.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/vmm/run.hpp"
#include "ptv/vnd/trace_export.hpp"
#include "ptv/worker/vcpu_loop.hpp"
#include "ptv/worker/virtual_machine.hpp"

namespace ptv::lab::devices {

namespace {

// The guest images: $PTV_GUEST_DIR, or the kit's build/guests.
std::string image_path(Which which) {
    std::string dir;
    if (const char* env = std::getenv("PTV_GUEST_DIR"); env && *env) dir = env;
#ifdef PTV_LAB_GUEST_DIR
    if (dir.empty()) dir = PTV_LAB_GUEST_DIR;
#endif
    const std::string path = dir + "/" + guest_name(which) + ".bin";
    if (dir.empty() || ::access(path.c_str(), R_OK) != 0)
        throw Failure(
            fmt::format("the guest image {}.bin is not where the kit built it ({}); "
                        "build the kit's `guests` target or set PTV_GUEST_DIR",
                        guest_name(which), path));
    return path;
}

// A port or MMIO range the student's device claimed, passed on to it with
// the access counted: the exit table per port, whatever ranges the device
// claims them in.
class CountedClaim : public vmb::Device {
  public:
    CountedClaim(vmb::Device& inner, uint64_t base, ExitTable& table)
        : inner_(inner), base_(base), table_(table) {}
    void plug_in(vmb::VirtualMotherboard&) override {}
    std::string_view name() const override { return inner_.name(); }
    std::string_view kind() const override { return inner_.kind(); }
    void read(vmb::Space space, uint64_t offset, std::span<uint8_t> data) override {
        ++table_[uint16_t(base_ + offset)].in;
        inner_.read(space, offset, data);
    }
    vmb::Response write(vmb::Space space, uint64_t offset, std::span<const uint8_t> data) override {
        ++table_[uint16_t(base_ + offset)].out;
        return inner_.write(space, offset, data);
    }

  private:
    vmb::Device& inner_;
    uint64_t base_;
    ExitTable& table_;
};

// The student's device as the machine sees it: it plugs the device into a
// board of its own first, checks that it claims exactly its ports, then
// claims the same ranges on the machine's board through CountedClaims.
class CountingDevice : public vmb::Device {
  public:
    CountingDevice(std::unique_ptr<vmb::Device> inner, Which which, ExitTable& table)
        : inner_(std::move(inner)), which_(which), table_(table) {}

    void plug_in(vmb::VirtualMotherboard& board) override {
        vmb::VirtualMotherboard own;
        inner_->plug_in(own);
        const uint64_t base = which_ == Which::Ata ? PTV_ATA_BASE : PTV_PVBLK_DOORBELL_PORT;
        const uint64_t size = which_ == Which::Ata ? PTV_ATA_SIZE : PTV_PVBLK_DOORBELL_SIZE;
        uint64_t covered = 0;
        std::string claims;
        for (vmb::Space space : {vmb::Space::Pio, vmb::Space::Mmio})
            for (const vmb::Claim& c : own.claims(space)) {
                claims += fmt::format("{}{} {:#x}-{:#x}", claims.empty() ? "" : ", ",
                                      vmb::space_name(space), c.base, c.base + c.size - 1);
                if (space == vmb::Space::Pio && c.base >= base && c.base + c.size <= base + size)
                    covered += c.size;
                else
                    covered = ~uint64_t(0);
            }
        if (covered != size)
            throw Failure(fmt::format(
                "{} claims {}; it must claim the ports {:#x}-{:#x} and nothing else (plug_in)",
                device_name(which_), claims.empty() ? "nothing" : claims, base, base + size - 1));
        for (vmb::Space space : {vmb::Space::Pio, vmb::Space::Mmio})
            for (const vmb::Claim& c : own.claims(space)) {
                claims_.push_back(std::make_unique<CountedClaim>(*inner_, c.base, table_));
                board.claim(space, c.base, c.size, *claims_.back());
            }
    }
    std::string_view name() const override { return inner_->name(); }
    std::string_view kind() const override { return inner_->kind(); }
    void read(vmb::Space space, uint64_t offset, std::span<uint8_t> data) override {
        inner_->read(space, offset, data);
    }
    vmb::Response write(vmb::Space space, uint64_t offset, std::span<const uint8_t> data) override {
        return inner_->write(space, offset, data);
    }
    nlohmann::json save_state() const override { return inner_->save_state(); }
    void load_state(const nlohmann::json& s) override { inner_->load_state(s); }

  private:
    std::unique_ptr<vmb::Device> inner_;
    Which which_;
    ExitTable& table_;
    std::vector<std::unique_ptr<CountedClaim>> claims_;
};

ptv::devices::DeviceEntry entry(Which which, Disk& disk, ExitTable& table) {
    const std::string_view name = which == Which::Ata ? kAtaDiskName : kPvBlockName;
    return {
        name,
        which == Which::Ata ? ptv::devices::InitLevel::Dev : ptv::devices::InitLevel::Paravirtual,
        [which, &disk, &table](vmb::Machine& machine) -> std::unique_ptr<vmb::Device> {
            auto device = which == Which::Ata ? make_ata_disk(disk) : make_pv_block(disk, machine);
            if (!device)
                throw Failure(fmt::format("make_{} returned no device",
                                          which == Which::Ata ? "ata_disk" : "pv_block"));
            return std::make_unique<CountingDevice>(std::move(device), which, table);
        }};
}

// Enough for every script the cases make; a guest whose poll never ends
// stops at its own poll limit long before.
uint64_t instruction_budget(const Script& script) {
    uint64_t sectors = 0;
    for (const Step& s : script.steps)
        for (const Request& r : s.batch) sectors += r.count;
    return 20'000'000 + sectors * 40'000;
}

Observed run_on_model(Context& ctx, Which which, const Script& script, Disk& disk) {
    Observed o;
    vmm::RunOptions options;
    options.guest.image_path = image_path(which);
    options.guest.name = guest_name(which);
    options.guest.cmdline = script.text();
    options.guest.memory_mib = kGuestMemoryMib;
    options.guest.extra_devices.push_back(entry(which, disk, o.exits));
    options.technique = "vmx";
    options.max_instructions = instruction_budget(script);
    options.trace_path = ctx.trace_path();
    const vmm::RunResult r = vmm::run_guest(options);
    o.outcome = r.outcome;
    o.status = r.status;
    o.message = r.message;
    o.serial = r.output;
    for (const auto& [reason, count] : r.counters.exits) o.total_exits += count;
    return o;
}

// The end of a KVM run that takes too long (the model has its instruction
// budget instead).
class Watchdog {
  public:
    Watchdog(double seconds, worker::VcpuLoop& loop)
        : thread_([this, seconds, &loop] {
              std::unique_lock lock(mutex_);
              if (!cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                                [this] { return done_; }))
                  loop.end(worker::VcpuLoop::End::Timeout);
          }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

Observed run_on_kvm(Context& ctx, Which which, const Script& script, Disk& disk) {
    const int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) throw NeedsKvm();
    ::close(fd);
    constexpr double kTimeoutS = 20;
    Observed o;
    const std::string path = image_path(which);
    worker::ConsoleConfig console;
    console.sink = [](std::string_view) {};  // kept in serial(), shown by the case
    worker::VirtualMachine vm(kGuestMemoryMib, {}, console, {entry(which, disk, o.exits)});
    vm.boot(vmb::read_image_file(path), guest_name(which), script.text(),
            vm.kvm().supported_cpuid());
    if (!ctx.trace_path().empty()) vm.enable_trace(200'000);
    worker::VcpuLoop loop(vm, kTimeoutS);
    const uint64_t t0 = vm.dispatcher().now();
    const vnd::Verdict verdict = [&] {
        Watchdog watchdog(kTimeoutS, loop);
        return loop.run();
    }();
    o.outcome = std::string(outcome_name(verdict.outcome));
    o.status = exit_status(verdict.outcome);
    o.message = verdict.message;
    o.serial = vm.serial();
    o.total_exits = vm.dispatcher().total_exits();
    if (!ctx.trace_path().empty()) {
        trace::TraceWriter writer = trace::TraceWriter::open(ctx.trace_path());
        vnd::export_trace(writer, ctx.trace_path(), vm.dispatcher(), t0, guest_name(which),
                          int(::getpid()), "lab-tests (real KVM)");
        writer.finish();
    }
    return o;
}

}  // namespace

Observed run_guest(Context& ctx, Which which, const Script& script, Disk& disk) {
    return ctx.substrate() == Substrate::Kvm ? run_on_kvm(ctx, which, script, disk)
                                             : run_on_model(ctx, which, script, disk);
}

}  // namespace ptv::lab::devices

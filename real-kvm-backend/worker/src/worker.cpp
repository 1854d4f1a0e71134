#include "ptv/worker/worker.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/common/disasm.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/boot_area.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/vnd/exit_instruction.hpp"
#include "ptv/vnd/trace_export.hpp"
#include "ptv/worker/boot.hpp"
#include "ptv/worker/stdin_pump.hpp"
#include "ptv/worker/trace_stream.hpp"

namespace ptv::worker {

using vnd::Action;
using vnd::ExitReason;

namespace {

uint64_t checked_memory_bytes(uint32_t mib) {
    if (mib < 2 || mib > PTV_RAM_MAX_MIB)
        throw UsageError(
            fmt::format("--memory {} is out of range; give 2 to {} MiB", mib, PTV_RAM_MAX_MIB));
    return uint64_t(mib) << 20;
}

// A watchdog thread: kicks the vCPU out when the time is up (--timeout).
class Watchdog {
  public:
    Watchdog(double seconds, std::function<void()> on_expiry) {
        if (seconds <= 0) return;
        thread_ = std::thread([this, seconds, on_expiry = std::move(on_expiry)] {
            std::unique_lock lock(mutex_);
            auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(seconds));
            if (!cv_.wait_until(lock, deadline, [this] { return done_; })) on_expiry();
        });
    }
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

}  // namespace

WorkerProcess::WorkerProcess(WorkerConfig config)
    : config_(std::move(config)), vm_(kvm_), memory_(checked_memory_bytes(config_.memory_mib)) {
    t_created_ = now_ns();
    // KVM_GET_SUPPORTED_CPUID is the slowest call of the bring-up (about
    // 0.4 ms): ask for it on another thread while the image loads.
    auto cpuid = std::async(std::launch::async, [this] { return kvm_.supported_cpuid(); });
    // Image first: a bad file is the user's mistake and must say so before
    // anything else happens.
    build_motherboard();
    register_policies();
    if (!config_.restore_dir.empty()) {
        restore_snapshot();  // snapshot.cpp
    } else if (config_.incoming) {
        // Memory, vCPU state (CPUID included) and devices come from the
        // source (migrate.cpp).
        vm_.map_memory(0, 0, memory_);
        vcpu_ = std::make_unique<vid::Vcpu>(vm_, 0);
    } else {
        const std::vector<uint8_t> file = config_.image_bytes.empty()
                                              ? vmb::read_image_file(config_.image_path)
                                              : config_.image_bytes;
        const vmb::MultibootImage image = vmb::parse_multiboot(file, config_.name);
        vmb::load_multiboot(image, file, memory_.span(), config_.name);
        vmb::write_boot_area(memory_.span(), config_.cmdline);
        vm_.map_memory(0, 0, memory_);
        vcpu_ = std::make_unique<vid::Vcpu>(vm_, 0);
        vcpu_->set_cpuid(cpuid.get());
        enter_protected_mode(*vcpu_, image.entry);
    }
    if (!config_.trace_path.empty() || streaming()) {
        if (!config_.trace_path.empty())
            trace_.emplace(trace::TraceWriter::open(config_.trace_path));
        dispatcher_->enable_log(config_.trace_capacity);
        // Registers and segment state come with every exit, for the RIP and
        // the instruction bytes, without an extra ioctl.
        sync_regs_ = vcpu_->sync_regs(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
    }
}

WorkerProcess::~WorkerProcess() = default;

void WorkerProcess::build_motherboard() {
    // Bring-up order is claim order: the legacy PC devices, then the
    // para-virtual ones, then the microbenchmark MMIO page.
    devices_.attach(board_);
    dispatcher_ = std::make_unique<vnd::NotificationDispatcher>(board_);
}

void WorkerProcess::console_write(std::string_view bytes) {
    serial_bytes_ += bytes.size();
    if (serial_.size() < config_.serial_capture)
        serial_.append(bytes.substr(0, config_.serial_capture - serial_.size()));
    if (config_.console_sink) return config_.console_sink(bytes);
    // Unbuffered, like a wire: a prompt without a newline shows at once.
    const char* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        ssize_t n = ::write(config_.console_fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the reader went away; the guest goes on
        p += n;
        left -= size_t(n);
    }
}

void WorkerProcess::request_stop(vmb::StopRequest request) {
    if (!device_stop_) device_stop_ = std::move(request);
}

void WorkerProcess::stop() {
    external_.store(External::Stop);
    if (vcpu_) vcpu_->kick();
}

void WorkerProcess::finish(Outcome outcome, std::string message) {
    if (outcome_) return;
    outcome_ = outcome;
    message_ = std::move(message);
}

std::optional<uint64_t> WorkerProcess::guest_rip() {
    try {
        return vcpu_->regs().rip;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Fills in where the guest was and the code around it (tracing only).
void WorkerProcess::capture_code(vnd::Exit& exit) {
    kvm_regs regs;
    kvm_sregs sregs;
    if (sync_regs_) {
        regs = vcpu_->run()->s.regs.regs;
        sregs = vcpu_->run()->s.regs.sregs;
    } else {
        regs = vcpu_->regs();
        sregs = vcpu_->sregs();
    }
    exit.rip = regs.rip;
    const bool long_mode = (sregs.efer & 0x400) && sregs.cs.l;
    exit.cpu_mode = long_mode ? 2 : sregs.cs.db ? 1 : 0;
    uint64_t linear = sregs.cs.base + regs.rip;
    if (!long_mode) linear &= 0xffffffff;
    uint64_t phys = linear;
    if (sregs.cr0 & 0x80000000) {
        auto t = vcpu_->translate(linear);
        if (!t) return;
        phys = *t;
    }
    auto ram = memory_.span();
    if (phys >= ram.size()) return;
    const uint64_t before = std::min<uint64_t>(phys, 16);
    const uint64_t begin = phys - before;
    const uint64_t end = std::min<uint64_t>(ram.size(), phys + 16);
    exit.code_len = uint8_t(end - begin);
    exit.code_rip_offset = uint8_t(before);
    std::memcpy(exit.code.data(), ram.data() + begin, exit.code_len);
    exit.has_code = true;
}

// ", by 'out dx, eax' at 0x100040" -- for messages about a faulting exit.
std::string WorkerProcess::culprit(vnd::Exit& exit) {
    if (!exit.has_code) capture_code(exit);
    if (!exit.has_code) return "";
    auto insn =
        vnd::causing_instruction(exit.reason, exit.is_write, {exit.code.data(), exit.code_len},
                                 exit.code_rip_offset, exit.rip, CpuMode(exit.cpu_mode));
    if (!insn) return "";
    rip_override_ = insn->address;
    return fmt::format(", by '{}'", insn->text);
}

void WorkerProcess::run_loop() {
    vid::Vcpu& vcpu = *vcpu_;
    kvm_run* run = vcpu.run();
    vnd::NotificationDispatcher& dispatcher = *dispatcher_;
    const bool tracing = dispatcher.logging();
    vcpu.bind_to_current_thread();

    // The exit path: enter the guest, describe the exit without KVM types,
    // hand it to the dispatcher, act on the answer.
    for (;;) {
        if (jobs_waiting_.load()) [[unlikely]]
            run_jobs();
        if (External ext = external_.load(); ext != External::None) {
            if (ext == External::Migrated || ext == External::Lost) {
                std::lock_guard lock(migration_lock_);
                finish(ext == External::Migrated ? Outcome::Migrated : Outcome::GuestLost,
                       external_message_);
            } else if (ext == External::Timeout)
                finish(Outcome::Timeout,
                       fmt::format("guest timed out: still running after {} s (--timeout)",
                                   config_.timeout_s));
            else
                finish(Outcome::Stopped, "guest stopped on request");
            return;
        }
        if (vcpu.enter() == vid::Vcpu::RunStatus::Kicked) continue;

        vnd::Exit exit;
        exit.t_exit_ns = now_ns();
        switch (run->exit_reason) {
            case KVM_EXIT_IO:
                exit.reason = ExitReason::PortIo;
                exit.is_write = run->io.direction == KVM_EXIT_IO_OUT;
                exit.size = run->io.size;
                exit.count = run->io.count;
                exit.address = run->io.port;
                exit.data = reinterpret_cast<uint8_t*>(run) + run->io.data_offset;
                break;
            case KVM_EXIT_MMIO:
                exit.reason = ExitReason::Mmio;
                exit.is_write = run->mmio.is_write;
                exit.size = uint8_t(run->mmio.len);
                exit.address = run->mmio.phys_addr;
                exit.data = run->mmio.data;
                break;
            case KVM_EXIT_HLT:
                exit.reason = ExitReason::Hlt;
                exit.interrupts_enabled = run->if_flag;
                break;
            case KVM_EXIT_SHUTDOWN:
                exit.reason = ExitReason::Shutdown;
                break;
            case KVM_EXIT_INTERNAL_ERROR:
                exit.reason = ExitReason::InternalError;
                exit.hardware_reason = run->internal.suberror;
                break;
            case KVM_EXIT_FAIL_ENTRY:
                exit.reason = ExitReason::FailEntry;
                exit.hardware_reason = run->fail_entry.hardware_entry_failure_reason;
                break;
            case KVM_EXIT_INTR:
                continue;  // a signal; the loop head looks at why
            default:
                exit.reason = ExitReason::Unknown;
                exit.hardware_reason = run->exit_reason;
        }
        if (tracing) capture_code(exit);

        const vnd::Notification n = dispatcher.dispatch(exit);
        exits_.fetch_add(1, std::memory_order_relaxed);

        if (device_stop_) [[unlikely]] {
            const auto& req = *device_stop_;
            if (req.kind == vmb::StopRequest::Kind::GuestExit) {
                if (req.status == 0)
                    finish(Outcome::GuestExit, "guest wrote status 0 to the debug-exit port");
                else
                    finish(Outcome::GuestFailure,
                           fmt::format("guest reported failure: status {} on the debug-exit port",
                                       req.status));
            } else {
                finish(Outcome::DeviceError,
                       fmt::format("{}: {}{}", req.device, req.message, culprit(exit)));
            }
            return;
        }
        if (n.unclaimed && exit.reason == ExitReason::Mmio && exit.is_write &&
            !config_.allow_unclaimed_mmio) [[unlikely]] {
            finish(Outcome::BusError,
                   fmt::format("bus error: guest wrote {} byte(s) to {:#x}, MMIO space no device "
                               "claims{} (--allow-unclaimed-mmio drops such writes instead)",
                               exit.size, exit.address, culprit(exit)));
            return;
        }
        if (n.action == Action::Stop) return;
    }
}

nlohmann::json WorkerProcess::run() {
    Watchdog watchdog(config_.timeout_s, [this] {
        external_.store(External::Timeout);
        vcpu_->kick();
    });
    std::optional<StdinPump> input;
    if (config_.input_fd >= 0)
        input.emplace(config_.input_fd, [this](uint8_t b) { devices_.uart.receive(b); });
    t_run_start_ = now_ns();
    std::optional<TraceStream> stream;
    if (streaming()) {
        stream.emplace(*dispatcher_,
                       TraceStream::Options{config_.trace_stream_fd, config_.trace_socket,
                                            config_.name, int(::getpid()), t_run_start_});
        stream->start();
    }
    if (incoming_) incoming_->guest_running(now_ns());
    try {
        run_loop();
    } catch (const vid::KvmError& e) {
        finish(Outcome::KvmFailure, e.what());
    }
    t_run_end_ = now_ns();
    loop_done_.store(true);
    // A migration still under way ends with the guest (Ctrl-C, HLT).
    if (migration_thread_.joinable()) {
        if (int fd = migration_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
        migration_thread_.join();
    }
    if (incoming_) {
        std::lock_guard lock(migration_lock_);
        migration_report_ = incoming_->finish();
    }
    stream.reset();  // the last records, then the stream ends
    rip_ = rip_override_ ? rip_override_ : guest_rip();
    final_state_ = capture_final_state();
    if (trace_)
        trace_info_ = vnd::export_trace(*trace_, config_.trace_path, *dispatcher_, t_run_start_,
                                        config_.name, int(::getpid()));
    return result_json();
}

// The guest's state where it stopped, in the form the CPU model of sim/vmm
// reports too, so "same final state" is one comparison: the general
// registers, EIP (KVM's RIP: after a HLT, after a completed OUT), EFLAGS, the
// segment selectors and CR0 as 32-bit integers, and one hash over the whole
// of guest RAM (ptv::memory_hash). Null when KVM no longer answers.
nlohmann::json WorkerProcess::capture_final_state() {
    kvm_regs r;
    kvm_sregs s;
    try {
        r = vcpu_->regs();
        s = vcpu_->sregs();
    } catch (const std::exception&) {
        return nullptr;
    }
    auto u32 = [](uint64_t v) { return uint32_t(v); };
    const auto ram = memory_.span();
    nlohmann::json j = nlohmann::json::object();
    j["eax"] = u32(r.rax);
    j["ebx"] = u32(r.rbx);
    j["ecx"] = u32(r.rcx);
    j["edx"] = u32(r.rdx);
    j["esi"] = u32(r.rsi);
    j["edi"] = u32(r.rdi);
    j["ebp"] = u32(r.rbp);
    j["esp"] = u32(r.rsp);
    j["eip"] = u32(r.rip);
    j["eflags"] = u32(r.rflags);
    j["cs"] = s.cs.selector;
    j["ss"] = s.ss.selector;
    j["ds"] = s.ds.selector;
    j["es"] = s.es.selector;
    j["fs"] = s.fs.selector;
    j["gs"] = s.gs.selector;
    j["cr0"] = u32(s.cr0);
    j["memory_hash"] = memory_hash_text(memory_hash(ram));
    j["memory_bytes"] = ram.size();
    return j;
}

nlohmann::json WorkerProcess::result_json() {
    const Outcome outcome = outcome_.value_or(Outcome::KvmFailure);
    nlohmann::json j;
    j["type"] = "result";
    j["guest"] = config_.name;
    j["image"] = config_.image_path;
    j["memory_mib"] = config_.memory_mib;
    j["outcome"] = outcome_name(outcome);
    j["status"] = exit_status(outcome);
    j["message"] = message_;
    j["rip"] = rip_ ? nlohmann::json(fmt::format("{:#x}", *rip_)) : nlohmann::json(nullptr);
    j["startup_ns"] = t_run_start_ - t_created_;
    j["run_ns"] = t_run_end_ - t_run_start_;
    j["serial"] = serial_;
    j["serial_bytes"] = serial_bytes_;
    j["trace"] = trace_info_;
    j["final_state"] = final_state_;
    {
        std::lock_guard lock(migration_lock_);
        j["migration"] = migration_report_;
    }

    const auto& d = *dispatcher_;
    nlohmann::json reasons = nlohmann::json::array(), targets = nlohmann::json::array();
    auto row = [](const vnd::Tally& t) {
        return nlohmann::json{{"count", t.count},
                              {"total_ns", t.total_ns},
                              {"mean_ns", t.count ? double(t.total_ns) / double(t.count) : 0.0}};
    };
    for (size_t r = 0; r < size_t(ExitReason::kCount); ++r) {
        const auto& t = d.by_reason(ExitReason(r));
        if (!t.count) continue;
        auto x = row(t);
        x["reason"] = vnd::reason_name(ExitReason(r));
        reasons.push_back(x);
    }
    for (uint16_t t = 0; t < d.target_count(); ++t) {
        const auto& tally = d.by_target(t);
        if (!tally.count) continue;
        auto x = row(tally);
        x["device"] = d.target_name(t);
        x["kind"] = d.target_kind(t);
        targets.push_back(x);
    }
    j["exits"] = {{"total", d.total_exits()}, {"by_reason", reasons}, {"by_device", targets}};
    return j;
}

}  // namespace ptv::worker

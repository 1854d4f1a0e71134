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
#include "ptv/devices/i8042.hpp"
#include "ptv/devices/pv_clock.hpp"
#include "ptv/devices/terminal_keys.hpp"
#include "ptv/devices/vga_text.hpp"
#include "ptv/portmap.h"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/vnd/trace_export.hpp"
#include "ptv/worker/periodic.hpp"
#include "ptv/worker/raw_terminal.hpp"
#include "ptv/worker/stdin_pump.hpp"
#include "ptv/worker/trace_stream.hpp"
#include "ptv/worker/vga_console.hpp"

namespace ptv::worker {

namespace {

// A watchdog thread: ends the run when the time is up (--timeout).
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

void check_config(const WorkerConfig& c, bool incoming) {
    if (c.cpus < 1 || c.cpus > PTV_MAX_VCPUS)
        throw UsageError(
            fmt::format("--cpus {} is out of range; give 1 to {} vCPUs", c.cpus, PTV_MAX_VCPUS));
    if (c.cpus > 1 && (!c.restore_dir.empty() || incoming))
        throw UsageError(fmt::format(
            "--cpus {} cannot be used with {}: snapshots and migrations hold one vCPU; drop --cpus",
            c.cpus, incoming ? "an incoming migration" : "--restore"));
}

nlohmann::json WorkerProcess::refuse_several_vcpus(const char* what) const {
    if (vm_.vcpu_count() <= 1) return nullptr;
    return {{"type", "error"},
            {"status", 1},
            {"message", fmt::format("cannot {} {}: it has {} vCPUs, and {} takes a VM with one "
                                    "(start it with --cpus 1)",
                                    what, config_.name, vm_.vcpu_count(), what)}};
}

WorkerProcess::WorkerProcess(WorkerConfig config)
    : config_(std::move(config)),
      vm_(config_.memory_mib, {config_.allow_unclaimed_mmio},
          {config_.console == Console::Vga ? -1 : config_.console_fd, config_.console_sink,
           config_.serial_capture}),
      migration_(vm_, loop_,
                 {config_.name, config_.image_path, config_.cmdline, config_.memory_mib},
                 [this] { return checkpoint_state(); }) {
    t_created_ = now_ns();
    // KVM_GET_SUPPORTED_CPUID is the slowest call of the bring-up (about
    // 0.4 ms): ask for it on another thread while the image loads.
    auto cpuid = std::async(std::launch::async, [this] { return vm_.kvm().supported_cpuid(); });
    if (!config_.restore_dir.empty()) {
        restore_snapshot();  // checkpoint.cpp
    } else if (config_.incoming) {
        // Memory, vCPU state (CPUID included) and devices come from the
        // source (migration_agent.hpp).
        vm_.create_empty();
    } else {
        // Image first: a bad file is the user's mistake and must say so
        // before anything else happens.
        const std::vector<uint8_t> file = config_.image_bytes.empty()
                                              ? vmb::read_image_file(config_.image_path)
                                              : config_.image_bytes;
        vm_.boot(file, config_.name, config_.cmdline, cpuid.get(), uint32_t(config_.cpus));
    }
    if (!config_.trace_path.empty() || streaming()) {
        if (!config_.trace_path.empty())
            trace_.emplace(trace::TraceWriter::open(config_.trace_path));
        vm_.enable_trace(config_.trace_capacity);
    }
}

WorkerProcess::~WorkerProcess() = default;

void WorkerProcess::finish(vnd::Verdict verdict) {
    if (outcome_) return;
    outcome_ = verdict.outcome;
    message_ = std::move(verdict.message);
    rip_override_ = verdict.rip;
    state_lost_ = verdict.state_lost;
}

// KVM moves RIP past an OUT that user space handled only on the next
// KVM_RUN (kvm_fast_pio_out's completion callback, on VMX and SVM alike).
// The debug-exit OUT that ended the run is finished that way, so that the
// final state is one between two instructions, as the CPU model's is; the
// outcome's RIP, read before, still names the OUT.
void WorkerProcess::finish_debug_exit() {
    const bool by_debug_exit = outcome_ == Outcome::GuestExit || outcome_ == Outcome::GuestFailure;
    if (!by_debug_exit || vcpus_.deciding_vcpu() != 0) return;  // final state: vCPU 0's
    try {
        vm_.vcpu(0).complete_pending_io();
    } catch (const vid::KvmError&) {
        // The state stays on the OUT; the run's outcome does not change.
    }
}

std::optional<uint64_t> WorkerProcess::guest_rip() {
    try {
        return vm_.vcpu(vcpus_.deciding_vcpu()).regs().rip;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<StdinPump> WorkerProcess::start_input(devices::TerminalKeyDecoder& keys) {
    if (config_.input_fd < 0) return std::nullopt;
    if (config_.console == Console::Serial)
        return std::optional<StdinPump>(std::in_place, config_.input_fd,
                                        [this](std::string_view b) {
                                            for (char c : b) vm_.uart().receive(uint8_t(c));
                                        });
    // The VGA console: keys as the terminal sends them, decoded and pressed
    // on the i8042 keyboard (a lone ESC is the Esc key once no more follows).
    auto& keyboard = vm_.devices().get<devices::I8042>();
    return std::optional<StdinPump>(
        std::in_place, config_.input_fd,
        [this, &keyboard, &keys](std::string_view b) {
            for (devices::Key k : keys.feed(b)) {
                keyboard.press(k);
                ++keys_pressed_;
            }
        },
        [this, &keyboard, &keys] {
            for (devices::Key k : keys.flush()) {
                keyboard.press(k);
                ++keys_pressed_;
            }
        });
}

nlohmann::json WorkerProcess::run() {
    Watchdog watchdog(config_.timeout_s, [this] { vcpus_.end(VcpuLoop::End::Timeout); });
    std::optional<RawTerminal> raw;
    if (config_.console == Console::Vga && config_.input_fd >= 0) raw.emplace(config_.input_fd);
    devices::TerminalKeyDecoder keys;
    std::optional<StdinPump> input = start_input(keys);
    std::optional<VgaConsole> console;
    if (config_.console == Console::Vga)
        console.emplace(vm_.devices().get<devices::VgaText>(), config_.console_fd,
                        trace_.has_value());
    t_run_start_ = now_ns();
    std::optional<TraceStream> stream;
    if (streaming()) {
        stream.emplace(vm_.dispatcher(),
                       TraceStream::Options{config_.trace_stream_fd, config_.trace_socket,
                                            config_.name, int(::getpid()), t_run_start_});
        stream->start();
    }
    migration_.guest_running(now_ns());
    {
        // The host keeps the PV clock page's time fresh while the guest
        // runs (kvmclock's idea): reading it costs the guest no exit.
        auto& pv_clock = vm_.devices().get<devices::PvClock>();
        PeriodicThread clock(std::chrono::nanoseconds(devices::PvClock::kRefreshPeriodNs),
                             [&pv_clock] { pv_clock.refresh(); });
        std::optional<PeriodicThread> redraw;
        if (console)
            redraw.emplace(VgaConsole::kRedrawPeriod, [&console] { console->draw(now_ns()); });
        try {
            back_end_.start([this](const vmb::StopRequest& r) {
                vcpus_.end(VcpuLoop::End::DeviceFault, fmt::format("{}: {}", r.device, r.message));
            });
            finish(vcpus_.run());
        } catch (const vid::KvmError& e) {
            finish({Outcome::KvmFailure, e.what(), {}});
        }
        // The requests in flight finish (their completions land in guest
        // RAM) before anything reads the machine's final state.
        back_end_.stop();
    }
    t_run_end_ = now_ns();
    input.reset();
    raw.reset();
    if (console) {
        console->finish(t_run_end_);
        console_info_ = {{"device", "vga"},
                         {"screen", console->text()},
                         {"redraws", console->redraws()},
                         {"keys", keys_pressed_.load()}};
    }
    migration_.finish();
    stream.reset();  // the last records, then the stream ends
    if (!state_lost_) {
        rip_ = rip_override_ ? rip_override_ : guest_rip();
        finish_debug_exit();
        final_state_ = vm_.final_state();
    }
    if (trace_) {
        if (console)
            for (const VgaConsole::Frame& f : console->frames())
                vnd::write_screen(*trace_, vm_.dispatcher(), f.screen, f.t_ns, t_run_start_);
        trace_info_ = vnd::export_trace(*trace_, config_.trace_path, vm_.dispatcher(), t_run_start_,
                                        config_.name, int(::getpid()), "ptv-vmwp (real KVM)");
    }
    return result_json();
}

nlohmann::json WorkerProcess::result_json() {
    const Outcome outcome = outcome_.value_or(Outcome::KvmFailure);
    nlohmann::json j;
    j["type"] = "result";
    j["guest"] = config_.name;
    j["image"] = config_.image_path;
    j["memory_mib"] = config_.memory_mib;
    j["cpus"] = vm_.vcpu_count();
    if (vm_.vcpu_count() > 1) j["vcpu"] = vcpus_.deciding_vcpu();  // whose RIP "rip" is
    j["outcome"] = outcome_name(outcome);
    j["status"] = exit_status(outcome);
    j["message"] = message_;
    j["rip"] = rip_ ? nlohmann::json(fmt::format("{:#x}", *rip_)) : nlohmann::json(nullptr);
    j["startup_ns"] = t_run_start_ - t_created_;
    j["run_ns"] = t_run_end_ - t_run_start_;
    j["serial"] = vm_.serial();
    j["serial_bytes"] = vm_.serial_bytes();
    j["trace"] = trace_info_;
    j["final_state"] = final_state_;
    j["migration"] = migration_.report();
    j["exits"] = vm_.exit_table();
    j["io"] = back_end_.report();
    j["io"]["blocks"] = vcpus_.blocks();
    if (!console_info_.is_null()) j["console"] = console_info_;
    return j;
}

}  // namespace ptv::worker

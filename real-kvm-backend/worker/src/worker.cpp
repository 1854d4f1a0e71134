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
#include "ptv/vmb/multiboot.hpp"
#include "ptv/vnd/trace_export.hpp"
#include "ptv/worker/stdin_pump.hpp"
#include "ptv/worker/trace_stream.hpp"

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

WorkerProcess::WorkerProcess(WorkerConfig config)
    : config_(std::move(config)),
      vm_(config_.memory_mib, {config_.allow_unclaimed_mmio},
          {config_.console_fd, config_.console_sink, config_.serial_capture}),
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
        vm_.boot(file, config_.name, config_.cmdline, cpuid.get());
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
}

std::optional<uint64_t> WorkerProcess::guest_rip() {
    try {
        return vm_.vcpu().regs().rip;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

nlohmann::json WorkerProcess::run() {
    Watchdog watchdog(config_.timeout_s, [this] { loop_.end(VcpuLoop::End::Timeout); });
    std::optional<StdinPump> input;
    if (config_.input_fd >= 0)
        input.emplace(config_.input_fd, [this](uint8_t b) { vm_.uart().receive(b); });
    t_run_start_ = now_ns();
    std::optional<TraceStream> stream;
    if (streaming()) {
        stream.emplace(vm_.dispatcher(),
                       TraceStream::Options{config_.trace_stream_fd, config_.trace_socket,
                                            config_.name, int(::getpid()), t_run_start_});
        stream->start();
    }
    migration_.guest_running(now_ns());
    try {
        finish(loop_.run());
    } catch (const vid::KvmError& e) {
        finish({Outcome::KvmFailure, e.what(), {}});
    }
    t_run_end_ = now_ns();
    migration_.finish();
    stream.reset();  // the last records, then the stream ends
    rip_ = rip_override_ ? rip_override_ : guest_rip();
    final_state_ = vm_.final_state();
    if (trace_)
        trace_info_ = vnd::export_trace(*trace_, config_.trace_path, vm_.dispatcher(), t_run_start_,
                                        config_.name, int(::getpid()), "ptv-vmwp (real KVM)");
    return result_json();
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
    j["serial"] = vm_.serial();
    j["serial_bytes"] = vm_.serial_bytes();
    j["trace"] = trace_info_;
    j["final_state"] = final_state_;
    j["migration"] = migration_.report();
    j["exits"] = vm_.exit_table();
    return j;
}

}  // namespace ptv::worker

// The worker process (Hyper-V's VMWP): one per VM. It owns the VM (through
// vid/), the virtual motherboard with its devices, and the notification
// dispatcher; it runs the vCPU until the guest reaches an outcome and
// reports it. Loading the image, the run loop and the reaction to each
// non-I/O exit live here; devices and routing do not.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ptv/common/trace.hpp"
#include "ptv/devices/standard_devices.hpp"
#include "ptv/migration/destination.hpp"
#include "ptv/migration/protocol.hpp"
#include "ptv/vid/kvm.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vnd/dispatcher.hpp"
#include "ptv/worker/outcome.hpp"

namespace ptv::worker {

struct WorkerConfig {
    std::string image_path;
    std::string name;  // shown in messages and the trace
    uint32_t memory_mib = 64;
    double timeout_s = 0;    // 0: no watchdog
    std::string cmdline;     // the multiboot command line
    std::string trace_path;  // "" : no trace
    size_t trace_capacity = 1u << 20;
    int trace_stream_fd = -1;  // stream the trace live here (trace_stream.hpp)
    std::string trace_socket;  // or to clients of a Unix socket at this path
    bool allow_unclaimed_mmio = false;
    int console_fd = 1;                // where guest serial output goes
    int input_fd = 0;                  // what the UART receives (-1: nothing)
    size_t serial_capture = 1u << 20;  // bytes of output kept for the result
    // Where guest serial output goes instead of console_fd (the service's
    // control channel); called on the vCPU thread.
    std::function<void(std::string_view)> console_sink;
    // Start from this snapshot (snapshot_file.hpp) instead of booting the
    // image: memory, vCPU and devices as they were saved.
    std::string restore_dir;
    // Boot this image instead of reading image_path (a shipped guest: weak
    // mobility, see migrate.cpp).
    std::vector<uint8_t> image_bytes;
    // Build an empty machine: an incoming live migration fills it.
    bool incoming = false;
};

class WorkerProcess : public vmb::Machine {
  public:
    // Loads the image and builds the machine. Throws ptv::UsageError for
    // anything the user can fix (and vid::KvmUnavailable, a UsageError).
    explicit WorkerProcess(WorkerConfig config);
    ~WorkerProcess() override;

    // Runs the guest to its outcome; returns the result (see result_json()).
    // Writes the trace, if asked for, after the guest has stopped.
    nlohmann::json run();

    // Thread- and signal-safe: stop the guest (Outcome::Stopped).
    void stop();

    // Thread-safe requests carried out on the vCPU thread between two exits,
    // after any pending I/O has completed; `reply` gets the answer (a
    // message for the control channel) on that thread.
    using Reply = std::function<void(const nlohmann::json&)>;
    void pause(Reply reply);
    void resume(Reply reply);
    // Saves vCPU, devices and memory to `dir` (snapshot_file.hpp) and lets
    // the guest go on as it was (running or paused).
    void snapshot(std::string dir, Reply reply);
    bool paused() const { return paused_.load(); }

    // Live migration (migrate.cpp). Source: migrates the running guest to
    // request["to"] (HOST:PORT) on a thread of its own; `reply` gets the
    // rounds as they end and the outcome. On success the run ends with
    // Outcome::Migrated; on failure before the switch the guest runs on.
    void migrate(const nlohmann::json& request, Reply reply);
    // Destination, before run(): receives memory and state over `conn`
    // until the source says Go. Throws migration::ProtocolError.
    void receive_migration(std::unique_ptr<migration::Connection> conn, migration::Mode mode);
    // Thread-safe: bytes typed at the console, for the UART's receiver.
    void console_input(std::string_view bytes) {
        for (char c : bytes) devices_.uart.receive(uint8_t(c));
    }
    // Exits handled so far (for status queries from other threads).
    uint64_t exits_so_far() const { return exits_.load(std::memory_order_relaxed); }
    const std::string& name() const { return config_.name; }

    // vmb::Machine
    std::span<uint8_t> ram() override { return memory_.span(); }
    void console_write(std::string_view bytes) override;
    void request_stop(vmb::StopRequest request) override;

  private:
    void restore_snapshot();
    void restore_machine(const nlohmann::json& state);  // vCPU and devices
    nlohmann::json pause_and_save();
    enum class External : int { None, Timeout, Stop, Migrated, Lost };
    void end_migration(External why, std::string message);
    void post(std::function<void()> job);
    void run_jobs();
    nlohmann::json snapshot_state();
    void build_motherboard();
    void register_policies();
    void run_loop();
    void capture_code(vnd::Exit& exit);
    std::string culprit(vnd::Exit& exit);
    void finish(Outcome outcome, std::string message);
    std::optional<uint64_t> guest_rip();
    std::string instruction_at_rip();
    nlohmann::json capture_final_state();
    nlohmann::json result_json();

    WorkerConfig config_;
    vid::Kvm kvm_;
    vid::Vm vm_;
    vid::GuestMemory memory_;
    std::unique_ptr<vid::Vcpu> vcpu_;

    // The motherboard and its devices, in bring-up order.
    vmb::VirtualMotherboard board_;
    devices::StandardDevices devices_{*this};
    std::unique_ptr<vnd::NotificationDispatcher> dispatcher_;

    bool sync_regs_ = false;
    std::atomic<uint64_t> exits_{0};
    std::atomic<External> external_{External::None};
    std::optional<vmb::StopRequest> device_stop_;

    // Requests for the vCPU thread (pause, resume, snapshot), see run_jobs().
    std::mutex jobs_lock_;
    std::condition_variable jobs_cv_;
    std::deque<std::function<void()>> jobs_;
    std::atomic<bool> jobs_waiting_{false};
    std::atomic<bool> paused_{false};

    // Live migration: the source's thread, the destination's side, what
    // the result reports, and why the run ended (Migrated, Lost).
    std::thread migration_thread_;
    std::atomic<int> migration_fd_{-1};
    std::atomic<bool> loop_done_{false};
    std::unique_ptr<migration::MigrationDestination> incoming_;
    std::mutex migration_lock_;
    nlohmann::json migration_report_ = nullptr;
    std::string external_message_;

    std::optional<Outcome> outcome_;
    std::string message_;
    std::optional<uint64_t> rip_;
    std::optional<uint64_t> rip_override_;  // the faulting instruction, when known
    uint64_t t_created_ = 0, t_run_start_ = 0, t_run_end_ = 0;
    std::string serial_;
    uint64_t serial_bytes_ = 0;
    nlohmann::json trace_info_ = nullptr;
    nlohmann::json final_state_ = nullptr;  // see capture_final_state()
    // Opened before the guest runs, so an unwritable path fails up front.
    std::optional<trace::TraceWriter> trace_;
    bool streaming() const { return config_.trace_stream_fd >= 0 || !config_.trace_socket.empty(); }
};

}  // namespace ptv::worker

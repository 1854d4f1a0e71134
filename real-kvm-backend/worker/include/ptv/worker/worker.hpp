// The worker process (Hyper-V's VMWP): one per VM. It owns the VM (through
// vid/), the virtual motherboard with its devices, and the notification
// dispatcher; it runs the vCPU until the guest reaches an outcome and
// reports it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ptv/common/outcome.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/devices/host_ring.hpp"
#include "ptv/devices/terminal_keys.hpp"
#include "ptv/migration/protocol.hpp"
#include "ptv/vnd/exit_policy.hpp"
#include "ptv/worker/back_end.hpp"
#include "ptv/worker/migration_agent.hpp"
#include "ptv/worker/stdin_pump.hpp"
#include "ptv/worker/vcpu_group.hpp"
#include "ptv/worker/virtual_machine.hpp"

namespace ptv::worker {

// Which device is the user's console: the UART (serial output on the
// terminal, typed lines to its receiver) or the VGA text screen with the
// i8042 keyboard (the screen drawn on the terminal, keys as they are
// pressed). The other device is still there; it just has no terminal.
enum class Console { Serial, Vga };

struct WorkerConfig {
    std::string image_path;
    std::string name;  // shown in messages and the trace
    uint32_t memory_mib = 64;
    double timeout_s = 0;    // 0: no watchdog
    std::string cmdline;     // the multiboot command line
    int cpus = 1;            // vCPUs (--cpus): 1 to PTV_MAX_VCPUS
    std::string trace_path;  // "" : no trace
    size_t trace_capacity = 1u << 20;
    int trace_stream_fd = -1;  // stream the trace live here (trace_stream.hpp)
    std::string trace_socket;  // or to clients of a Unix socket at this path
    bool allow_unclaimed_mmio = false;
    int console_fd = 1;  // where guest serial output goes
    int input_fd = 0;    // what the console receives (-1: nothing)
    Console console = Console::Serial;
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
    // How device requests are served (--dispatch), and the PV disk.
    BackEndConfig io;
};

// What the user asked for that is wrong on its face (--cpus out of range, or
// several vCPUs with a snapshot or a migration, which hold one): a
// ptv::UsageError, before KVM is opened.
void check_config(const WorkerConfig& config, bool incoming);

// The worker process: its VM (virtual_machine.hpp), the vCPU loops that run
// it (vcpu_group.hpp), checkpoints (checkpoint.cpp) and the migration agent
// (migration_agent.hpp), put together for one run, and the result it ends
// in.
class WorkerProcess {
  public:
    // Loads the image and builds the machine. Throws ptv::UsageError for
    // anything the user can fix (and vid::KvmUnavailable, a UsageError).
    explicit WorkerProcess(WorkerConfig config);
    ~WorkerProcess();

    // Runs the guest to its outcome; returns the result (see result_json()).
    // Writes the trace, if asked for, after the guest has stopped.
    nlohmann::json run();

    // Thread- and signal-safe: stop the guest (Outcome::Stopped).
    void stop() { vcpus_.end(VcpuLoop::End::Stop); }

    // Thread-safe requests carried out on the vCPU thread between two exits,
    // after any pending I/O has completed; `reply` gets the answer (a
    // message for the control channel) on that thread.
    using Reply = std::function<void(const nlohmann::json&)>;
    void pause(Reply reply);
    void resume(Reply reply);
    // Saves vCPU, devices and memory to `dir` (snapshot_file.hpp) and lets
    // the guest go on as it was (running or paused).
    void snapshot(std::string dir, Reply reply);
    bool paused() const { return loop_.state() == VcpuLoop::State::Paused; }

    // Live migration (migration_agent.hpp): this guest to request["to"]
    // (with a pre-copy policy of one's own, or the one the request names),
    // or (before run()) the incoming state of one.
    void migrate(const nlohmann::json& request, Reply reply,
                 std::unique_ptr<migration::PreCopyPolicy> policy = nullptr) {
        if (auto no = refuse_several_vcpus("migrate"); !no.is_null()) {
            no["type"] = "migration";
            no["status"] = "failed";
            return reply(no);
        }
        migration_.migrate(request, std::move(reply), std::move(policy));
    }
    void receive_migration(std::unique_ptr<migration::Connection> conn, migration::Mode mode) {
        migration_.receive(std::move(conn), mode);
    }
    // Thread-safe: bytes typed at the console, for the UART's receiver.
    void console_input(std::string_view bytes) {
        for (char c : bytes) vm_.uart().receive(uint8_t(c));
    }
    // The ring on which the host's clients send the guest requests
    // (request_port.hpp is its front end); any thread.
    devices::HostRing& host_ring() { return vm_.devices().get<devices::HostRing>(); }
    // Exits handled so far (for status queries from other threads).
    uint64_t exits_so_far() const { return vcpus_.exits(); }
    const std::string& name() const { return config_.name; }

  private:
    std::optional<StdinPump> start_input(devices::TerminalKeyDecoder& keys);
    void restore_snapshot();
    nlohmann::json checkpoint_state();
    void finish(vnd::Verdict verdict);
    std::optional<uint64_t> guest_rip();
    void finish_debug_exit();
    nlohmann::json result_json();
    // A control request's answer when the VM has several vCPUs, which
    // pauses, snapshots and migrations do not handle; null with one.
    nlohmann::json refuse_several_vcpus(const char* what) const;

    WorkerConfig config_;
    VirtualMachine vm_;
    BackEnd back_end_{vm_, config_.io};
    VcpuGroup vcpus_{vm_, config_.timeout_s};
    VcpuLoop& loop_ = vcpus_.boot_cpu();  // control requests run on its thread
    MigrationAgent migration_;

    std::optional<Outcome> outcome_;
    std::string message_;
    std::optional<uint64_t> rip_;
    std::optional<uint64_t> rip_override_;  // the faulting instruction, when known
    bool state_lost_ = false;               // the host reset the vCPU: no RIP, no final state
    uint64_t t_created_ = 0, t_run_start_ = 0, t_run_end_ = 0;
    nlohmann::json trace_info_ = nullptr;
    nlohmann::json console_info_ = nullptr;  // the VGA console: its last screen
    std::atomic<uint64_t> keys_pressed_{0};  // on the i8042, from the terminal
    nlohmann::json final_state_ = nullptr;   // see VirtualMachine::final_state()
    // Opened before the guest runs, so an unwritable path fails up front.
    std::optional<trace::TraceWriter> trace_;
    bool streaming() const { return config_.trace_stream_fd >= 0 || !config_.trace_socket.empty(); }
};

}  // namespace ptv::worker

#include "compare_vm.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "paths.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/worker/control.hpp"
#include "ptv/worker/report.hpp"
#include "ptv/worker/spawn.hpp"
#include "worker_watch.hpp"

namespace ptv::cli {

namespace {

// The peak resident set of a live process (VmHWM), in bytes; 0 when it is
// gone. Read here rather than from getrusage: a child started by
// posix_spawn (a vfork) is charged the parent's peak at its exec.
uint64_t vm_hwm_bytes(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string key;
    uint64_t kib = 0;
    while (in >> key) {
        if (key == "VmHWM:") {
            in >> kib;
            return kib * 1024;
        }
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    return 0;
}

std::string guest_name(const std::string& image) {
    return std::filesystem::path(image).stem().string();
}

// What went wrong with a run that had to end in `want` (any outcome: "").
std::string failure(const WorkerRun& r, const std::string& image, const char* want) {
    const std::string name = guest_name(image);
    if (r.result.is_null())
        return fmt::format("worker process ptv-vmwp (pid {}) for '{}' died: {}", r.pid, name,
                           describe_wait_status(r.wait_status));
    if (r.result.value("type", "") == "error") return r.result.value("message", "");
    if (*want && r.result.value("outcome", "") != want)
        return fmt::format("{} (expected the outcome {})", worker::outcome_line(r.result), want);
    return "";
}

}  // namespace

VmPieces find_vm_pieces() {
    VmPieces p;
    p.worker = worker_path();
    if (::access(p.worker.c_str(), X_OK) != 0)
        throw UsageError(fmt::format("worker binary '{}' is missing; run 'make build'", p.worker));
    p.hello = resolve_guest("hello");
    p.counter = resolve_guest("counter");
    p.fault = resolve_guest("fault-triple");
    return p;
}

WorkerRun run_worker(const std::string& worker_exe, const WorkerRunOptions& o) {
    // A watchdog in the worker bounds every run, should a stop be lost.
    std::vector<std::string> args = {worker_exe,     o.image,
                                     "--name",       guest_name(o.image),
                                     "--memory",     std::to_string(o.memory_mib),
                                     "--control-fd", "3",
                                     "--timeout",    "10"};
    if (!o.cmdline.empty()) args.insert(args.end(), {"--cmdline", o.cmdline});
    worker::WorkerSpawn how;
    how.argv = args;
    how.log_path = "/dev/null";  // the serial output comes in the result
    WorkerRun r;
    const uint64_t t0 = now_ns();
    const worker::SpawnedWorker w = worker::spawn_worker(how);
    if (w.error != 0)
        throw UsageError(fmt::format("cannot start worker '{}': {}; run 'make build'", worker_exe,
                                     std::strerror(w.error)));
    r.pid = w.pid;
    worker::MessageReader reader(w.control);
    uint64_t started_at = 0;
    bool sampled = o.sample_after_s <= 0;
    for (bool open = true; open;) {
        int wait_ms = -1;
        if (!sampled && started_at) {
            const uint64_t due = started_at + uint64_t(o.sample_after_s * 1e9);
            const uint64_t now = now_ns();
            if (now >= due) {
                // The guest runs until told to stop: the worker is alive.
                r.peak_rss_bytes = vm_hwm_bytes(w.pid);
                worker::send_message(w.control, {{"type", "stop"}});
                sampled = true;
                continue;
            }
            wait_ms = int((due - now) / 1'000'000) + 1;
        }
        pollfd fd{w.control, POLLIN, 0};
        const int n = ::poll(&fd, 1, wait_ms);
        if (n < 0 && errno != EINTR) {
            ::kill(w.pid, SIGKILL);
            break;
        }
        if (n <= 0) continue;
        open = reader.read_once();
        nlohmann::json m;
        while (reader.pop(m)) {
            const std::string type = m.value("type", "");
            if (type == "started" && !started_at) {
                started_at = now_ns();
                r.ready_ns = started_at - t0;
            } else if (type == "result" || type == "error") {
                r.stopped_ns = now_ns() - t0;
                r.result = m;
            }
        }
    }
    while (::waitpid(w.pid, &r.wait_status, 0) < 0 && errno == EINTR) {
    }
    ::close(w.control);
    return r;
}

VmTrial measure_vm(const VmPieces& p, int runs, uint32_t memory_mib) {
    VmTrial t;
    t.memory_mib = memory_mib;
    for (int i = 0; i < runs; ++i) {
        const WorkerRun r = run_worker(p.worker, {p.hello, memory_mib, "", 0});
        if (auto why = failure(r, p.hello, "halted"); !why.empty())
            throw std::runtime_error("the VM's workload failed: " + why);
        t.stopped_ns.push_back(r.stopped_ns);
        t.ready_ns.push_back(r.ready_ns);
        t.boot_ns.push_back(r.result.value("startup_ns", uint64_t(0)));
        t.serial = r.result.value("serial", "");
    }
    // counter with its smallest working set (one page), for 0.2 s.
    const WorkerRun c = run_worker(p.worker, {p.counter, memory_mib, "4", 0.2});
    if (auto why = failure(c, p.counter, "stopped"); !why.empty())
        throw std::runtime_error("the VM's memory run failed: " + why);
    if (c.peak_rss_bytes == 0)
        throw std::runtime_error(fmt::format(
            "the worker's peak RSS (VmHWM in /proc/{}/status) could not be read", c.pid));
    t.peak_rss_bytes = c.peak_rss_bytes;
    const WorkerRun f = run_worker(p.worker, {p.fault, memory_mib, "", 0});
    if (auto why = failure(f, p.fault, ""); !why.empty())
        throw std::runtime_error("the VM's fault run failed: " + why);
    t.fault = f.result;
    return t;
}

}  // namespace ptv::cli

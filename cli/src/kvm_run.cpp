#include "kvm_run.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "paths.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/outcome.hpp"
#include "ptv/worker/control.hpp"
#include "ptv/worker/report.hpp"
#include "ptv/worker/spawn.hpp"
#include "worker_watch.hpp"

namespace ptv::cli {

int kvm_run(const KvmRunOptions& o, nlohmann::json* result_out) {
    const std::string image = resolve_guest(o.guest);
    const std::string name = std::filesystem::path(image).stem().string();
    const std::string worker = worker_path();
    if (::access(worker.c_str(), X_OK) != 0)
        throw UsageError(fmt::format("worker binary '{}' is missing; run 'make build'", worker));

    std::vector<std::string> args = {worker,         image,      "--name",
                                     name,           "--memory", std::to_string(o.memory_mib),
                                     "--control-fd", "3"};
    if (o.timeout_s > 0) args.insert(args.end(), {"--timeout", fmt::format("{}", o.timeout_s)});
    if (!o.cmdline.empty()) args.insert(args.end(), {"--cmdline", o.cmdline});
    if (!o.trace_path.empty()) {
        args.insert(args.end(), {"--trace", o.trace_path});
        args.insert(args.end(), {"--trace-capacity", std::to_string(o.trace_capacity)});
    }
    if (o.allow_unclaimed_mmio) args.push_back("--allow-unclaimed-mmio");
    if (o.console != "serial") args.insert(args.end(), {"--console", o.console});
    if (!o.trace_socket.empty()) args.insert(args.end(), {"--trace-socket", o.trace_socket});
    if (o.cpus != 1) args.insert(args.end(), {"--cpus", std::to_string(o.cpus)});
    if (o.dispatch != "inline") args.insert(args.end(), {"--dispatch", o.dispatch});
    if (!o.disk.empty())
        args.insert(args.end(), {"--disk", std::filesystem::absolute(o.disk).string()});
    if (o.disk_latency_ms != 0)
        args.insert(args.end(), {"--disk-latency", fmt::format("{}", o.disk_latency_ms)});
    // --viz: the worker streams its trace on fd 4, ptv-viz reads it on fd 3.
    const bool viz = o.viz || !o.viz_screenshot.empty();
    std::vector<std::string> viz_args;
    if (viz) {
        viz_args = {viz_path(), "--fd", "3"};
        if (::access(viz_args[0].c_str(), X_OK) != 0)
            throw UsageError(fmt::format("'{}' is missing; run 'make build'", viz_args[0]));
        if (!o.viz_screenshot.empty())
            viz_args.insert(viz_args.end(), {"--screenshot", o.viz_screenshot});
        args.insert(args.end(), {"--trace-stream-fd", "4"});
    }

    // The worker: control channel on fd 3, serial output on stdout (on
    // stderr with --json, so stdout carries only the JSON document).
    // Ctrl-C, TERM and HUP for ptv become a "stop" for the worker, read from
    // a signalfd in the loop below rather than in a signal handler. They are
    // blocked here and unblocked in the worker (which handles its own).
    int stream[2] = {-1, -1};
    if (viz && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) < 0)
        throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
    std::optional<StopSignals> signals(std::in_place);
    // The worker puts the terminal in raw mode for the VGA console and
    // restores it; if it is killed first, this puts it back. (Only then:
    // setting a terminal's mode from the background would stop ptv.)
    std::optional<TerminalMode> terminal;
    if (o.console == "vga") terminal.emplace(STDIN_FILENO);
    worker::WorkerSpawn how;
    how.argv = args;
    if (viz) how.extra_fds = {stream[1]};
    if (o.json) how.stdout_fd = 2;
    if (result_out) how.log_path = "/dev/null";  // the serial output comes in the result
    how.sigmask = signals->old_mask();
    const worker::SpawnedWorker w = worker::spawn_worker(how);
    pid_t viz_pid = -1;
    if (viz) {
        // The viewer takes the stream on its fd 3 as a worker takes its
        // control channel; serial output and results stay on our terminal.
        worker::WorkerSpawn viewer;
        viewer.argv = viz_args;
        viewer.control_fd = stream[0];
        viewer.sigmask = signals->old_mask();
        if (w.error == 0) viz_pid = worker::spawn_worker(viewer).pid;
        ::close(stream[0]);
        ::close(stream[1]);
    }
    if (w.error != 0) {
        signals.reset();
        throw UsageError(fmt::format("cannot start worker '{}': {}; run 'make build'", worker,
                                     std::strerror(w.error)));
    }
    const pid_t pid = w.pid;

    // Watch the worker: its messages until it closes the channel, and our
    // stop signals, which we pass on.
    nlohmann::json result, message;
    worker::MessageReader reader(w.control);
    for (bool open = true; open;) {
        pollfd fds[2] = {{w.control, POLLIN, 0}, {signals->fd(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) continue;  // EINTR
        if (fds[1].revents) {
            signalfd_siginfo info;
            if (::read(signals->fd(), &info, sizeof info) == sizeof info)
                worker::send_message(w.control, {{"type", "stop"}});
        }
        if (fds[0].revents) {
            open = reader.read_once();
            while (reader.pop(message)) {
                const std::string type = message.value("type", "");
                if (type == "result" || type == "error") result = message;
            }
        }
    }
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    signals.reset();  // a Ctrl-C while the viewer stays open ends ptv
    ::close(w.control);

    // No trace to look at when the worker failed: the viewer goes too.
    auto end_viewer = [&] {
        if (viz_pid <= 0) return;
        ::kill(viz_pid, SIGTERM);
        while (::waitpid(viz_pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    };
    if (result.is_null()) {
        end_viewer();
        std::fprintf(stderr, "ptv: worker process ptv-vmwp (pid %d) for '%s' died: %s\n", pid,
                     name.c_str(), describe_wait_status(wstatus).c_str());
        return exit_status(Outcome::WorkerDied);
    }
    if (result["type"] == "error") {
        end_viewer();
        std::fprintf(stderr, "ptv: %s\n", result.value("message", "").c_str());
        return result.value("status", 2);
    }
    if (result_out) {
        *result_out = result;
        return result.value("status", 8);
    }
    std::fprintf(stderr, "%s\n", worker::outcome_line(result).c_str());
    if (o.json) {
        std::printf("%s\n", result.dump(2).c_str());
    } else {
        std::printf("\n%s", worker::exit_table(result).c_str());
        if (auto io = worker::back_end_text(result); !io.empty()) std::printf("\n%s", io.c_str());
        if (auto state = worker::final_state_text(result); !state.empty())
            std::printf("\n%s", state.c_str());
        if (result["trace"].is_object())
            std::printf("\ntrace: %s (%s events; open it in ui.perfetto.dev or 'ptv viz')\n",
                        result["trace"].value("path", "").c_str(),
                        std::to_string(result["trace"].value("events", 0ull)).c_str());
    }
    std::fflush(stdout);
    if (viz_pid > 0) {
        // The viewer keeps what it received: it ends when its window closes.
        if (o.viz_screenshot.empty())
            std::fprintf(stderr, "ptv: the guest has stopped; close the visualizer to end\n");
        while (::waitpid(viz_pid, &wstatus, 0) < 0 && errno == EINTR) {
        }
    }
    return result.value("status", 8);
}

}  // namespace ptv::cli

#include "kvm_run.hpp"

#include <poll.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "paths.hpp"
#include "ptv/common/error.hpp"
#include "ptv/worker/control.hpp"
#include "ptv/common/outcome.hpp"
#include "ptv/worker/report.hpp"
#include "worker_spawn.hpp"

namespace ptv::cli {

namespace {

// execve's argv: pointers into `args`, then a null.
std::vector<char*> c_argv(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return argv;
}

}  // namespace

int kvm_run(const KvmRunOptions& o) {
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
    if (!o.trace_socket.empty()) args.insert(args.end(), {"--trace-socket", o.trace_socket});
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

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
    // After the control channel: its end is above fd 4, so the dup2 onto 4
    // below never meets itself (which would leave it close-on-exec).
    int stream[2] = {-1, -1};
    if (viz && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) < 0)
        throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));

    std::vector<char*> argv = c_argv(args);

    // The worker: control channel on fd 3, serial output on stdout (on
    // stderr with --json, so stdout carries only the JSON document).
    // posix_spawn (a vfork underneath) starts it faster than fork + exec.
    // Ctrl-C, TERM and HUP for ptv become a "stop" for the worker, read from
    // a signalfd in the loop below rather than in a signal handler. They are
    // blocked here and unblocked in the worker (which handles its own).
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
    sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
    const int signals = ::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &old_mask);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sv[1], 3);  // the copy is not close-on-exec
    if (o.json) posix_spawn_file_actions_adddup2(&actions, 2, 1);
    if (viz) posix_spawn_file_actions_adddup2(&actions, stream[1], 4);
    std::fflush(nullptr);
    pid_t pid = -1;
    const int err = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    pid_t viz_pid = -1;
    if (viz) {
        // The viewer: serial output and results stay on our terminal.
        std::vector<char*> vargv = c_argv(viz_args);
        posix_spawn_file_actions_t va;
        posix_spawn_file_actions_init(&va);
        posix_spawn_file_actions_adddup2(&va, stream[0], 3);
        if (err != 0 || ::posix_spawn(&viz_pid, vargv[0], &va, &attr, vargv.data(), environ) != 0)
            viz_pid = -1;
        posix_spawn_file_actions_destroy(&va);
        ::close(stream[0]);
        ::close(stream[1]);
    }
    posix_spawnattr_destroy(&attr);
    auto restore_signals = [&] {
        // Consume what is pending (a Ctrl-C the worker has already acted
        // on), or unblocking would deliver it and kill us before we report.
        signalfd_siginfo info;
        while (::read(signals, &info, sizeof info) == sizeof info) {
        }
        ::close(signals);
        sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    };
    if (err != 0) {
        restore_signals();
        ::close(sv[0]);
        ::close(sv[1]);
        throw UsageError(fmt::format("cannot start worker '{}': {}; run 'make build'", worker,
                                     std::strerror(err)));
    }
    ::close(sv[1]);

    // Watch the worker: its messages until it closes the channel, and our
    // stop signals, which we pass on.
    nlohmann::json result, message;
    worker::MessageReader reader(sv[0]);
    for (bool open = true; open;) {
        pollfd fds[2] = {{sv[0], POLLIN, 0}, {signals, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) continue;  // EINTR
        if (fds[1].revents) {
            signalfd_siginfo info;
            if (::read(signals, &info, sizeof info) == sizeof info)
                worker::send_message(sv[0], {{"type", "stop"}});
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
    restore_signals();
    ::close(sv[0]);

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
    std::fprintf(stderr, "%s\n", worker::outcome_line(result).c_str());
    if (o.json) {
        std::printf("%s\n", result.dump(2).c_str());
    } else {
        std::printf("\n%s", worker::exit_table(result).c_str());
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

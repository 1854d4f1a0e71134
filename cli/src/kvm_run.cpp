#include "kvm_run.hpp"

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
#include "ptv/worker/outcome.hpp"
#include "ptv/worker/report.hpp"

namespace ptv::cli {

namespace {

int g_control = -1;

// Ctrl-C or a TERM for ptv: ask the worker to stop, then report as usual.
// (A terminal's Ctrl-C reaches the worker directly too; both are harmless.)
void forward_stop(int) {
    static const char kStop[] = "{\"type\":\"stop\"}\n";
    if (g_control >= 0) (void)!::send(g_control, kStop, sizeof kStop - 1, MSG_NOSIGNAL);
}

std::string describe_wait_status(int status) {
    if (WIFSIGNALED(status))
        return fmt::format("killed by signal {} ({})", WTERMSIG(status),
                           strsignal(WTERMSIG(status)));
    return fmt::format("exited with status {} without reporting a result", WEXITSTATUS(status));
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

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));

    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
    if (pid == 0) {
        // The worker: control channel on fd 3, serial output on stdout (on
        // stderr with --json, so stdout carries only the JSON document).
        ::dup2(sv[1], 3);  // dup2 clears close-on-exec on the copy
        if (o.json) ::dup2(2, 1);
        ::execv(argv[0], argv.data());
        std::fprintf(stderr, "ptv: cannot start worker '%s': %s\n", argv[0], std::strerror(errno));
        ::_exit(2);
    }
    ::close(sv[1]);
    g_control = sv[0];
    struct sigaction sa {
    }, old_int, old_term;
    sa.sa_handler = forward_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    nlohmann::json result, message;
    worker::MessageReader reader(sv[0]);
    while (reader.next(message)) {
        const std::string type = message.value("type", "");
        if (type == "result" || type == "error") result = message;
    }
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    g_control = -1;
    ::close(sv[0]);

    if (result.is_null()) {
        std::fprintf(stderr, "ptv: worker process ptv-vmwp (pid %d) for '%s' died: %s\n", pid,
                     name.c_str(), describe_wait_status(wstatus).c_str());
        return worker::exit_status(worker::Outcome::WorkerDied);
    }
    if (result["type"] == "error") {
        std::fprintf(stderr, "ptv: %s\n", result.value("message", "").c_str());
        return result.value("status", 2);
    }
    std::fprintf(stderr, "%s\n", worker::outcome_line(result).c_str());
    if (o.json) {
        std::printf("%s\n", result.dump(2).c_str());
    } else {
        std::printf("\n%s", worker::exit_table(result).c_str());
        if (result["trace"].is_object())
            std::printf("\ntrace: %s (%s events; open it in ui.perfetto.dev or 'ptv viz')\n",
                        result["trace"].value("path", "").c_str(),
                        std::to_string(result["trace"].value("events", 0ull)).c_str());
    }
    std::fflush(stdout);
    return result.value("status", 8);
}

}  // namespace ptv::cli

// `ptv vmms start|stop`: the management service itself runs inside ptv
// (real-kvm-backend/vmms/), in the foreground or as a daemon.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "paths.hpp"
#include "ptv/common/error.hpp"
#include "ptv/vmms/client.hpp"
#include "ptv/vmms/service.hpp"

namespace ptv::cli {

namespace {

struct StartOptions {
    std::string socket, state_dir, trace;
    bool daemon = false;
};

int start(const StartOptions& o) {
    vmms::ServiceConfig cfg;
    cfg.socket_path = o.socket.empty() ? vmms::default_socket_path() : o.socket;
    cfg.state_dir = o.state_dir.empty() ? vmms::default_state_dir() : o.state_dir;
    cfg.trace_path = o.trace;
    cfg.worker_path = worker_path();
    if (::access(cfg.worker_path.c_str(), X_OK) != 0)
        throw UsageError(
            fmt::format("worker binary '{}' is missing; run 'make build'", cfg.worker_path));
    if (!o.daemon) return vmms::run_service(cfg);

    // --daemon: the child becomes the service (own session, output to
    // STATE/vmms.log); the parent returns once the socket listens, so a
    // script may use it right away.
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ready[0]);
        ::setsid();
        ::mkdir(cfg.state_dir.c_str(), 0700);
        const int null = ::open("/dev/null", O_RDWR);
        const int log = ::open((cfg.state_dir + "/vmms.log").c_str(),
                               O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(log >= 0 ? log : null, 2);
        cfg.ready_fd = ready[1];
        try {
            std::_Exit(vmms::run_service(cfg));
        } catch (const UsageError& e) {
            std::fprintf(stderr, "ptv: %s\n", e.what());
            (void)!::write(ready[1], "E", 1);
            const std::string msg = e.what();
            (void)!::write(ready[1], msg.data(), msg.size());
            std::_Exit(kUsageExit);
        }
    }
    ::close(ready[1]);
    std::string got;
    char buf[512];
    for (ssize_t n; (n = ::read(ready[0], buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
    ::close(ready[0]);
    if (got.rfind("ready", 0) == 0) {
        std::printf("vmms: listening on %s (pid %d, state in %s)\n", cfg.socket_path.c_str(), pid,
                    cfg.state_dir.c_str());
        return 0;
    }
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    if (!got.empty() && got[0] == 'E') throw UsageError(got.substr(1));
    throw std::runtime_error("the vmms service ended before it listened");
}

}  // namespace

Commands vmms_service_commands(CLI::App& vmms) {
    Commands commands;
    auto o = std::make_shared<StartOptions>();
    auto* s =
        vmms.add_subcommand("start", "run the management service (foreground unless --daemon)");
    s->add_option("--socket", o->socket,
                  "Unix socket to listen on (default: $PTV_VMMS_SOCKET, "
                  "/run/ptvlab/vmms.sock or $XDG_RUNTIME_DIR/ptvlab)");
    s->add_option("--state-dir", o->state_dir,
                  "where VMs, snapshots and the trace live (default: $PTV_VMMS_STATE_DIR, "
                  "/var/lib/ptvlab or ~/.local/state/ptvlab)");
    s->add_option("--trace", o->trace,
                  "lifecycle trace, one event per line (default STATE/trace.json)");
    s->add_flag("--daemon", o->daemon, "run in the background once listening");
    commands.emplace_back(s, [o] { return start(*o); });

    auto stop_socket = std::make_shared<std::string>();
    auto stop_vms = std::make_shared<bool>(false);
    auto* t = vmms.add_subcommand("stop", "stop the service (VMs keep running unless --vms)");
    t->add_option("--socket", *stop_socket, "the service's socket");
    t->add_flag("--vms", *stop_vms, "stop every VM first");
    commands.emplace_back(t, [stop_socket, stop_vms] {
        vmms::Client c(stop_socket->empty() ? vmms::default_socket_path() : *stop_socket);
        auto r = c.request({{"op", "shutdown"}, {"stop_vms", *stop_vms}});
        if (!r.value("ok", false)) {
            std::fprintf(stderr, "ptv: %s\n", r.value("error", "").c_str());
            return r.value("status", 1);
        }
        // Wait for it to close the connection: then it is gone.
        nlohmann::json m;
        while (c.next(m)) {
        }
        std::printf("vmms: stopped\n");
        return 0;
    });
    return commands;
}

}  // namespace ptv::cli

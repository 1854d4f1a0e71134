// The superserver (see superserver.hpp).
#include "ptv/servers/arch/superserver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <charconv>
#include <sstream>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/servers/arch/architectures.hpp"
#include "ptv/servers/arch/socket.hpp"
#include "ptv/servers/arch/stop.hpp"

namespace ptv::servers::arch {

std::vector<std::pair<int, http::ServiceKind>> parse_ports(const std::string& text) {
    std::vector<std::pair<int, http::ServiceKind>> ports;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        size_t eq = item.find('=');
        std::string port_text = item.substr(0, eq);
        int port = -1;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
            port < 0 || port > 65535)
            throw UsageError(fmt::format(
                "--ports: '{}' is not PORT or PORT=SERVICE with PORT 0 to 65535", item));
        http::ServiceKind kind = http::ServiceKind::Files;
        if (eq != std::string::npos) kind = http::parse_service(item.substr(eq + 1));
        for (const auto& [p, k] : ports)
            if (p == port && port != 0)
                throw UsageError(fmt::format("--ports: port {} is given twice", port));
        ports.emplace_back(port, kind);
    }
    if (ports.empty()) throw UsageError("--ports: give at least one PORT[=SERVICE]");
    return ports;
}

namespace {

struct Port {
    int number = 0;
    http::ServiceKind service;
    int fd = -1;
    pid_t child = -1;  // the running service, or -1
    uint64_t started_ns = 0;
    uint64_t not_before_ns = 0;  // a service that died at once is not restarted in a loop
};

// The service's command line: `ptv servers run --listen-fd 3 ...`.
std::vector<std::string> service_argv(const SuperserverOptions& o, const Port& p) {
    const ServerOptions& s = o.server;
    std::vector<std::string> argv = {o.ptv,
                                     "servers",
                                     "run",
                                     "--listen-fd",
                                     "3",
                                     "--service",
                                     std::string(http::to_string(p.service)),
                                     "--arch",
                                     std::string(to_string(s.arch)),
                                     "--root",
                                     s.root,
                                     "--disk-latency",
                                     std::to_string(s.disk_latency_ms),
                                     "--cache",
                                     std::to_string(s.cache_files),
                                     "--timeout",
                                     fmt::format("{}", s.timeout_s),
                                     "--host",
                                     s.host};
    if (s.workers > 0) argv.insert(argv.end(), {"--workers", std::to_string(s.workers)});
    if (s.list_directories) argv.emplace_back("--list-directories");
    if (!s.validators) argv.emplace_back("--no-validators");
    return argv;
}

pid_t start_service(const SuperserverOptions& o, const Port& p, int parent) {
    auto argv = service_argv(o, p);
    pid_t pid = fork();
    if (pid != 0) return pid;
    // The child: the listening socket becomes fd 3, the rest is exec'd.
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // survives exec: no service outlives us
    if (getppid() != parent) _exit(0);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) signal(s, SIG_DFL);
    if (p.fd == 3) {
        fcntl(3, F_SETFD, 0);  // keep it across exec
    } else {
        dup2(p.fd, 3);  // dup2 clears FD_CLOEXEC on the copy
    }
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
}

}  // namespace

int run_superserver(const SuperserverOptions& o, std::FILE* out) {
    for (const auto& [port, kind] : o.ports) {
        ServerOptions s = o.server;
        s.service = kind;
        validate(s);  // e.g. a stateful counter on a forking architecture
    }
    StopSignal stop;
    std::vector<Port> ports;
    for (const auto& [number, kind] : o.ports) {
        Port p;
        p.service = kind;
        p.fd = listen_on(o.server.host, number);  // usage errors before anything starts
        p.number = bound_port(p.fd);
        ports.push_back(p);
    }
    stop.catch_signals();
    const int self = getpid();
    std::fprintf(out,
                 "ptv servers superserver: %zu port%s, services start on their first "
                 "connection (pid %d); Ctrl-C stops\n",
                 ports.size(), ports.size() == 1 ? "" : "s", self);
    for (const auto& p : ports)
        std::fprintf(out, "  port %d: %s (%s), not started\n", p.number,
                     std::string(http::to_string(p.service)).c_str(),
                     std::string(to_string(o.server.arch)).c_str());
    std::fflush(out);

    std::vector<pollfd> fds;
    for (;;) {
        // Watch the stop signal and every port whose service is not running.
        fds.assign(1, pollfd{stop.fd(), POLLIN, 0});
        std::vector<size_t> which;
        const uint64_t now = now_ns();
        for (size_t i = 0; i < ports.size(); ++i)
            if (ports[i].child < 0 && now >= ports[i].not_before_ns) {
                fds.push_back({ports[i].fd, POLLIN, 0});
                which.push_back(i);
            }
        int n = poll(fds.data(), fds.size(), 100);  // and every 100 ms, reap services
        if (n > 0 && fds[0].revents) break;
        for (size_t k = 1; n > 0 && k < fds.size(); ++k) {
            if (!(fds[k].revents & POLLIN)) continue;
            Port& p = ports[which[k - 1]];
            p.child = start_service(o, p, self);
            p.started_ns = now_ns();
            if (p.child < 0) {
                std::fprintf(out, "  port %d: cannot start %s (fork failed)\n", p.number,
                             std::string(http::to_string(p.service)).c_str());
                continue;
            }
            std::fprintf(out, "  port %d: first connection; started %s (pid %d)\n", p.number,
                         std::string(http::to_string(p.service)).c_str(), int(p.child));
            std::fflush(out);
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (auto& p : ports) {
                if (p.child != pid) continue;
                p.child = -1;
                if (now_ns() - p.started_ns < 1'000'000'000)
                    p.not_before_ns = now_ns() + 1'000'000'000;
                std::fprintf(out,
                             "  port %d: %s exited (status %d); the next connection starts it "
                             "again\n",
                             p.number, std::string(http::to_string(p.service)).c_str(),
                             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                std::fflush(out);
            }
        }
    }
    std::vector<int> children;
    for (auto& p : ports)
        if (p.child > 0) {
            kill(p.child, SIGTERM);
            children.push_back(p.child);
        }
    reap_children(children, std::chrono::milliseconds(5000));
    for (auto& p : ports) close(p.fd);
    std::fprintf(out, "ptv servers superserver: stopped\n");
    return 0;
}

}  // namespace ptv::servers::arch

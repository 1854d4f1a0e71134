#include "ptv/cluster/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "ptv/common/error.hpp"

namespace ptv::cluster {

namespace {

std::string ip_path() {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
        if (::access(p, X_OK) == 0) return p;
    throw UsageError("iproute2's 'ip' is missing; run scripts/setup.sh (as root)");
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

// Joins `netns` (a name under /run/netns) in a child about to exec.
void enter_netns(const std::string& netns) {
    if (netns.empty()) return;
    const int fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) < 0) {
        std::fprintf(stderr, "cannot enter network namespace %s: %s\n", netns.c_str(),
                     std::strerror(errno));
        std::_Exit(127);
    }
    ::close(fd);
}

// Runs argv (in netns when given) and returns its status; stdout and stderr
// are collected.
int run(const std::string& netns, const std::vector<std::string>& argv, std::string* out,
        std::string* err) {
    int po[2], pe[2];
    if (::pipe2(po, O_CLOEXEC) < 0 || ::pipe2(pe, O_CLOEXEC) < 0)
        throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(po[1], 1);
        ::dup2(pe[1], 2);
        enter_netns(netns);
        auto args = c_argv(argv);
        ::execv(args[0], args.data());
        std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
        std::_Exit(127);
    }
    ::close(po[1]);
    ::close(pe[1]);
    // Both pipes are drained together so that neither side can fill up.
    std::string o, e;
    char buf[4096];
    for (int fd : {po[0], pe[0]}) {
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
            (fd == po[0] ? o : e).append(buf, size_t(n));
        ::close(fd);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out) *out = o;
    if (err) *err = e;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string first_line(const std::string& text) {
    const auto nl = text.find('\n');
    return nl == std::string::npos ? text : text.substr(0, nl);
}

}  // namespace

void ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv{ip_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string err;
    if (run("", argv, nullptr, &err) != 0) {
        std::string cmd = "ip";
        for (const auto& a : args) cmd += " " + a;
        throw std::runtime_error(fmt::format("'{}' failed: {}", cmd, first_line(err)));
    }
}

void ip_quiet(const std::vector<std::string>& args) {
    std::vector<std::string> argv{ip_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    run("", argv, nullptr, nullptr);
}

bool netns_exists(const std::string& netns) {
    return ::access(("/run/netns/" + netns).c_str(), F_OK) == 0;
}

std::vector<pid_t> netns_pids(const std::string& netns) {
    std::vector<pid_t> pids;
    if (!netns_exists(netns)) return pids;
    std::string out;
    run("", {ip_path(), "netns", "pids", netns}, &out, nullptr);
    std::istringstream in(out);
    for (pid_t p; in >> p;) pids.push_back(p);
    return pids;
}

std::vector<std::string> ipv4_addresses() {
    std::string out;
    run("", {ip_path(), "-o", "-4", "addr", "show"}, &out, nullptr);
    std::vector<std::string> addrs;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find(" inet ");
        if (at == std::string::npos) continue;
        const auto start = at + 6, slash = line.find('/', start);
        addrs.push_back(line.substr(start, slash - start));
    }
    return addrs;
}

int run_in_netns(const std::string& netns, const std::vector<std::string>& argv, std::string* err) {
    return run(netns, argv, nullptr, err);
}

pid_t spawn_in_netns(const std::string& netns, const std::vector<std::string>& argv,
                     const std::string& log_path, int parent_death_signal) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        const int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
        }
        if (parent_death_signal) ::prctl(PR_SET_PDEATHSIG, parent_death_signal);
        enter_netns(netns);
        auto args = c_argv(argv);
        ::execv(args[0], args.data());
        std::_Exit(127);
    }
    return pid;
}

}  // namespace ptv::cluster

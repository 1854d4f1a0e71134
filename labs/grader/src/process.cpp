#include "ptv/lab/grader/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace ptv::lab {

namespace {

using Clock = std::chrono::steady_clock;

// Everything the child needs is prepared before fork(): between fork and
// exec a child of a threaded program may only make async-signal-safe calls.
struct Prepared {
    std::vector<std::string> env_storage;
    std::vector<char*> argv, envp;

    explicit Prepared(const ProcessSpec& spec) {
        for (char** e = environ; *e; ++e) {
            std::string entry = *e;
            auto eq = entry.find('=');
            if (eq != std::string::npos && spec.env.count(entry.substr(0, eq))) continue;
            env_storage.push_back(entry);
        }
        for (const auto& [k, v] : spec.env) env_storage.push_back(k + "=" + v);
        for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        for (auto& e : env_storage) envp.push_back(e.data());
        envp.push_back(nullptr);
    }
};

void append_capped(std::string& to, const char* data, size_t n, size_t cap) {
    if (to.size() < cap) to.append(data, std::min(n, cap - to.size()));
}

}  // namespace

ProcessResult run_process(const ProcessSpec& spec) {
    if (spec.argv.empty()) throw std::invalid_argument("run_process: empty argv");
    Prepared prepared(spec);
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        throw std::runtime_error("pipe2 failed");
    }
    int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
    auto start = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        struct rlimit no_core = {0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        ::signal(SIGPIPE, SIG_DFL);
        if (null_in >= 0) ::dup2(null_in, 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        if (cwd && ::chdir(cwd) != 0) _exit(127);
        ::execve(prepared.argv[0], prepared.argv.data(), prepared.envp.data());
        const char msg[] = "cannot execute the program\n";
        [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
        _exit(127);
    }
    if (null_in >= 0) ::close(null_in);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (pid < 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    }
    ::setpgid(pid, pid);  // also here: whichever of parent and child runs first

    ProcessResult result;
    auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(spec.time_limit_s));
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int status = 0;
    bool exited = false;
    char buf[16384];
    // Read until the child has exited and its pipes are drained. A child
    // that exits while a grandchild still holds the pipes open ends the
    // wait too: the group is killed then, which closes them.
    while (true) {
        int open_fds = (fds[0].fd >= 0) + (fds[1].fd >= 0);
        if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            ::kill(-pid, SIGKILL);
        }
        if (open_fds == 0 && exited) break;
        auto now = Clock::now();
        if (!exited && now >= deadline) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            exited = true;
            continue;
        }
        if (open_fds == 0) {
            ::usleep(5000);
            continue;
        }
        int wait_ms = exited ? 200 : 50;
        int n = ::poll(fds, 2, wait_ms);
        if (n < 0 && errno != EINTR) break;
        if (n == 0 && exited) {
            // Exited, group killed, and still no end of file: give up on it.
            for (auto& f : fds)
                if (f.fd >= 0) ::close(f.fd), f.fd = -1;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                append_capped(*sinks[i], buf, size_t(got), spec.output_cap);
            } else if (got == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

std::string find_in_path(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string candidate = dirs.substr(start, end - start) + "/" + name;
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return "";
}

}  // namespace ptv::lab

#include "child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "ptv/common/clock.hpp"

namespace ptv::bench {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

uint64_t deadline_after(double seconds) {
    return now_ns() + uint64_t(seconds * 1e9);
}

// Milliseconds left until the deadline, for poll(); at least 1 while any is.
int ms_left(uint64_t deadline_ns) {
    const uint64_t now = now_ns();
    if (now >= deadline_ns) return 0;
    return int(std::min<uint64_t>((deadline_ns - now + 999'999) / 1'000'000, 1000));
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, Stream out, Stream err)
    : name_(std::filesystem::path(argv.at(0)).filename().string()) {
    int out_pipe[2] = {-1, -1}, exec_pipe[2];
    if (out == Stream::Pipe && ::pipe2(out_pipe, O_CLOEXEC) < 0) fail("pipe");
    // Carries exec's errno if it fails; closes by itself when exec succeeds.
    // Read only once the child has ended, so that the benchmark does not
    // wake up (and compete for a CPU) just as the child starts.
    if (::pipe2(exec_pipe, O_CLOEXEC) < 0) fail("pipe");

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();

    t_start_ = now_ns();
    pid_ = ::fork();
    if (pid_ < 0) fail("fork");
    if (pid_ == 0) {
        // Only async-signal-safe calls from here to exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);  // the benchmark is already gone
        const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        ::dup2(null, 0);
        if (out == Stream::Pipe) ::dup2(out_pipe[1], 1);
        if (out == Stream::Null) ::dup2(null, 1);
        if (err == Stream::Null) ::dup2(null, 2);
        ::execvp(args[0], args.data());
        const int e = errno;
        (void)!::write(exec_pipe[1], &e, sizeof e);
        ::_exit(127);
    }
    ::close(exec_pipe[1]);
    exec_fd_ = exec_pipe[0];
    if (out == Stream::Pipe) {
        ::close(out_pipe[1]);
        out_fd_ = out_pipe[0];
    }
    pidfd_ = int(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) {
        const int e = errno;
        kill();
        close_fds();
        throw std::runtime_error(fmt::format("pidfd_open: {}", std::strerror(e)));
    }
}

Child::~Child() {
    kill();
    close_fds();
}

void Child::close_fds() {
    for (int* fd : {&out_fd_, &pidfd_, &exec_fd_})
        if (*fd >= 0) ::close(std::exchange(*fd, -1));
}

bool Child::read_some(uint64_t deadline_ns, double timeout_s) {
    if (out_fd_ < 0) throw std::logic_error("Child: stdout is not a pipe");
    for (;;) {
        pollfd p{out_fd_, POLLIN, 0};
        const int ms = ms_left(deadline_ns);
        if (ms == 0)
            throw std::runtime_error(
                fmt::format("{} printed nothing more within {} s; stopped it", name_, timeout_s));
        const int r = ::poll(&p, 1, ms);
        if (r < 0 && errno != EINTR) fail("poll");
        if (r <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("read");
        if (n == 0) return false;
        output_.append(buf, size_t(n));
        return true;
    }
}

uint64_t Child::read_until(std::optional<char> wanted, double timeout_s) {
    const uint64_t deadline = deadline_after(timeout_s);
    size_t seen = output_.size();
    for (;;) {
        if (!read_some(deadline, timeout_s)) {
            const int status = wait(5);
            throw std::runtime_error(
                fmt::format("{} {} before printing {}", name_, describe(status),
                            wanted ? fmt::format("'{}'", *wanted) : std::string("anything")));
        }
        const uint64_t t = now_ns();
        if (!wanted || output_.find(*wanted, seen) != std::string::npos) return t;
        seen = output_.size();
    }
}

void Child::read_to_end(double timeout_s) {
    const uint64_t deadline = deadline_after(timeout_s);
    while (read_some(deadline, timeout_s)) {
    }
}

int Child::wait(double timeout_s) {
    if (pid_ < 0) throw std::logic_error("Child: already reaped");
    const uint64_t deadline = deadline_after(timeout_s);
    for (;;) {
        pollfd p{pidfd_, POLLIN, 0};
        const int ms = ms_left(deadline);
        if (ms == 0) {
            kill();
            throw std::runtime_error(
                fmt::format("{} was still running after {} s; killed it", name_, timeout_s));
        }
        const int r = ::poll(&p, 1, ms);
        if (r < 0 && errno != EINTR) fail("poll");
        if (r > 0) break;
    }
    t_end_ = now_ns();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) fail("waitpid");
    }
    pid_ = -1;
    // Status 127 may be our own child code saying exec failed: ask it why.
    int exec_errno = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
        ::read(exec_fd_, &exec_errno, sizeof exec_errno) == sizeof exec_errno)
        throw std::runtime_error(
            fmt::format("cannot start {}: {}", name_, std::strerror(exec_errno)));
    return status;
}

void Child::kill() {
    if (pid_ < 0) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

std::string Child::describe(int status) {
    if (WIFSIGNALED(status))
        return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                           strsignal(WTERMSIG(status)));
    return fmt::format("exited with status {}", WEXITSTATUS(status));
}

std::optional<std::string> find_on_path(const std::string& program) {
    namespace fs = std::filesystem;
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const fs::path candidate = (dir.empty() ? fs::path(".") : fs::path(dir)) / program;
        std::error_code ec;
        if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate, ec))
            return fs::absolute(candidate, ec).string();
    }
    return std::nullopt;
}

}  // namespace ptv::bench

#include "ptv/containers/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "container_init.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/containers/namespaces.hpp"
#include "ptv/containers/rootfs_image.hpp"
#include "ptv/containers/union_fs.hpp"

namespace ptv::containers {

namespace {

std::string quoted(const std::vector<std::string>& words) {
    std::string s;
    for (const auto& w : words) {
        if (!s.empty()) s += ' ';
        s += w.find_first_of(" \t'\"$") == std::string::npos ? w : "'" + w + "'";
    }
    return s;
}

// The checks that need nothing made: one line each, status 2.
void check_options(const RunOptions& o) {
    if (o.command.empty() || o.command[0].empty())
        throw UsageError("no command to run; give one after --, as in: ptv container run -- sh");
    if (o.memory_mib && *o.memory_mib == 0)
        throw UsageError("--memory 0: a container needs some memory; give MIB of at least 1");
    if (o.memory_mib && *o.memory_mib > (std::numeric_limits<uint64_t>::max() >> 20))
        throw UsageError("--memory " + std::to_string(*o.memory_mib) +
                         ": more bytes than a 64-bit count holds; give fewer MIB");
    if (o.pids && *o.pids == 0)
        throw UsageError("--pids 0: the command itself is a process; give N of at least 1");
    if (o.hostname.empty() || o.hostname.size() > 64)
        throw UsageError("--hostname '" + o.hostname + "': give 1 to 64 characters");
    if (::geteuid() != 0)
        throw UsageError(
            "containers need root: new namespaces, mounts and control groups are privileged "
            "operations; run it as root (sudo)");
    if (!o.rootfs.empty()) {
        struct stat st {};
        if (::stat(o.rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            throw UsageError("--rootfs " + o.rootfs +
                             ": not a directory; give the directory to use as the lower layer");
    }
}

// Blocks the signals that end a run while it waits, and reads them from a
// signalfd, so that cleanup always runs; the mask is restored at the end.
class StopSignals {
  public:
    StopSignals() {
        sigemptyset(&set_);
        for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
        ::pthread_sigmask(SIG_BLOCK, &set_, &old_);
        fd_ = ::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
    }
    ~StopSignals() {
        if (fd_ >= 0) ::close(fd_);
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    int fd() const { return fd_; }
    const sigset_t& old_mask() const { return old_; }
    int take() const {
        signalfd_siginfo info{};
        return ::read(fd_, &info, sizeof info) == ssize_t(sizeof info) ? int(info.ssi_signo) : 0;
    }

  private:
    sigset_t set_, old_;
    int fd_ = -1;
};

// A one-way channel: a pipe, or a socket pair where the writer must not get
// SIGPIPE should the reader be gone (send with MSG_NOSIGNAL).
struct Pipe {
    int r = -1, w = -1;
    explicit Pipe(bool socket = false) {
        int p[2];
        const int rc = socket ? ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)
                              : ::pipe2(p, O_CLOEXEC);
        if (rc != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        r = p[0];
        w = p[1];
    }
    ~Pipe() {
        close_r();
        close_w();
    }
    void close_r() {
        if (r >= 0) ::close(r);
        r = -1;
    }
    void close_w() {
        if (w >= 0) ::close(w);
        w = -1;
    }
};

// The container's first process until it is reaped: killed (and with it
// its PID namespace) if the run ends early.
struct Child {
    pid_t pid = -1;
    int pidfd = -1;
    bool reaped = false;
    int status = 0;
    ~Child() {
        if (pid > 0 && !reaped) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        if (pidfd >= 0) ::close(pidfd);
    }
};

std::string group_name() {
    // Unique per run: ptv's PID, and a count for a process that runs several.
    static std::atomic<unsigned> runs{0};
    const unsigned n = runs++;
    return "ptv-container-" + std::to_string(::getpid()) + (n ? "-" + std::to_string(n) : "");
}

InitPlan make_plan(const RunOptions& o, const std::string& lower, const std::string& exe,
                   const RunDirs& dirs) {
    InitPlan p;
    p.explain = Explain(o.explain_fd);
    p.stdout_fd = o.stdout_fd;
    p.stderr_fd = o.stderr_fd;
    p.hostname = o.hostname;
    p.overlay_data = overlay_options(lower, dirs);
    p.merged = dirs.merged;
    p.proc = dirs.merged + "/proc";
    p.sys = dirs.merged + "/sys";
    p.dev = dirs.merged + "/dev";
    p.devices = {{p.dev + "/null", 1, 3},   {p.dev + "/zero", 1, 5},    {p.dev + "/full", 1, 7},
                 {p.dev + "/random", 1, 8}, {p.dev + "/urandom", 1, 9}, {p.dev + "/tty", 5, 0}};
    p.dev_links = {{p.dev + "/fd", "/proc/self/fd"},
                   {p.dev + "/stdin", "/proc/self/fd/0"},
                   {p.dev + "/stdout", "/proc/self/fd/1"},
                   {p.dev + "/stderr", "/proc/self/fd/2"}};
    p.exe = exe;
    p.args = o.command;
    p.env = {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", "HOSTNAME=" + o.hostname};
    if (const char* term = std::getenv("TERM")) p.env.push_back(std::string("TERM=") + term);
    for (auto& a : p.args) p.argv.push_back(a.data());
    p.argv.push_back(nullptr);
    for (auto& e : p.env) p.envp.push_back(e.data());
    p.envp.push_back(nullptr);

    p.say_private = "mount: / made private (rprivate) — no mount inside reaches the host\n";
    p.say_hostname = "uts: sethostname(\"" + o.hostname + "\")\n";
    p.say_loopback = "net: lo up — the network namespace's only interface\n";
    p.say_overlay = "union fs: overlay lower=" + lower + " (read-only) upper=" + dirs.upper +
                    " work=" + dirs.work + " on " + dirs.merged + "\n";
    p.say_proc = "mount: proc on /proc — lists only this PID namespace's processes\n";
    p.say_sys =
        "mount: sysfs on /sys (read-only) — lists only this network namespace's "
        "interfaces\n";
    p.say_dev = "mount: tmpfs on /dev with null, zero, full, random, urandom, tty\n";
    p.say_pivot = "pivot_root: " + dirs.merged +
                  " becomes / and the host's root is detached (umount2 MNT_DETACH)\n";
    p.say_chroot = "chroot: " + dirs.merged + " becomes / (pivot_root was refused)\n";
    p.say_exec = "exec " + exe + (o.command.size() > 1 ? " " : "") +
                 quoted({o.command.begin() + 1, o.command.end()}) + " as PID 1\n";
    return p;
}

}  // namespace

RunStats run(const RunOptions& o) {
    check_options(o);
    const Explain explain(o.explain_fd);
    std::string lower;
    if (o.rootfs.empty()) {
        lower = ensure_image(default_image_dir(), explain);
    } else {
        lower = std::filesystem::canonical(o.rootfs).string();
    }
    if (lower.find_first_of(",:") != std::string::npos)
        throw UsageError("--rootfs " + lower +
                         ": an overlay's layer path cannot hold ',' or ':'; use another "
                         "directory");
    const std::string exe = resolve_command(lower, o.command[0]);

    Limits limits;
    if (o.memory_mib) limits.memory_bytes = *o.memory_mib << 20;
    limits.pids = o.pids;
    const std::string name = group_name();
    auto cgroup = (o.cgroups ? o.cgroups : make_kernel_cgroup)(name, limits, explain);
    RunStats stats;
    stats.cgroup_kind = cgroup->kind();

    auto dirs = std::make_unique<RunDirs>();
    if (dirs->base.find_first_of(",:") != std::string::npos)
        throw UsageError("TMPDIR " + dirs->base +
                         ": an overlay's layer path cannot hold ',' or ':'; set TMPDIR to "
                         "another directory");
    explain.step("union fs: made " + dirs->upper + " (upper, this run's writes) and " + dirs->work +
                 " (overlay's work dir)");

    StopSignals stop;
    Pipe sync(true), report;
    InitPlan plan = make_plan(o, lower, exe, *dirs);
    plan.sync_fd = sync.r;
    plan.report_fd = report.w;
    plan.close_fds[0] = sync.w;
    plan.close_fds[1] = report.r;
    plan.signal_mask = stop.old_mask();

    Child child;
    const uint64_t t0 = now_ns();
    // clone() without CLONE_VM is a fork into five new namespaces at once;
    // the child is PID 1 of its PID namespace.
    const long pid =
        ::syscall(SYS_clone, SIGCHLD | kNamespaceFlags, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0)
        throw std::runtime_error(std::string("clone with new namespaces: ") + std::strerror(errno));
    if (pid == 0) container_init(plan);
    child.pid = pid_t(pid);
    sync.close_r();
    report.close_w();
    for (const auto& line : namespace_steps(o.hostname)) explain.step(line);
    child.pidfd = int(::syscall(SYS_pidfd_open, child.pid, 0));
    if (child.pidfd < 0)
        throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(errno));

    cgroup->attach(child.pid);
    explain.step(cgroup->kind() + ": moved the container's first process (host PID " +
                 std::to_string(child.pid) + ") into " + name + " before it runs the command");
    if (::send(sync.w, "g", 1, MSG_NOSIGNAL) != 1)
        throw std::runtime_error(std::string("cannot start the container: ") +
                                 std::strerror(errno));
    sync.close_w();

    // Wait for the report pipe to close (exec succeeded, or a step failed
    // and said so), the child to end, or a signal to stop it.
    std::string failure;
    bool report_open = true;
    while (!child.reaped) {
        pollfd fds[3] = {{child.pidfd, POLLIN, 0}, {stop.fd(), POLLIN, 0}, {report.r, POLLIN, 0}};
        if (::poll(fds, report_open ? 3 : 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        if (report_open && (fds[2].revents & (POLLIN | POLLHUP))) {
            char buf[512];
            const ssize_t n = ::read(report.r, buf, sizeof buf);
            if (n > 0) {
                failure.append(buf, size_t(n));
            } else {
                report_open = false;
                if (failure.empty()) stats.startup_ns = now_ns() - t0;
            }
        }
        if (fds[1].revents & POLLIN) {
            if (int sig = stop.take()) {
                // PID 1 of a namespace ignores signals it has no handler for,
                // so a stopped run kills it (and the namespace with it).
                stats.interrupted_by = sig;
                ::kill(child.pid, SIGKILL);
            }
        }
        if (fds[0].revents & POLLIN) {
            if (::waitpid(child.pid, &child.status, 0) == child.pid) child.reaped = true;
        }
    }
    // Whatever of the report is still in the pipe.
    if (report_open) {
        char buf[512];
        ssize_t n;
        while ((n = ::read(report.r, buf, sizeof buf)) > 0) failure.append(buf, size_t(n));
    }
    stats.total_ns = now_ns() - t0;
    if (WIFEXITED(child.status)) {
        stats.exit_status = WEXITSTATUS(child.status);
    } else if (WIFSIGNALED(child.status)) {
        stats.signal = WTERMSIG(child.status);
        stats.exit_status = 128 + stats.signal;
    }
    stats.peak_memory_bytes = cgroup->peak_memory_bytes();
    stats.oom_killed = cgroup->oom_kills() > 0;
    if (stats.interrupted_by) stats.exit_status = 128 + stats.interrupted_by;

    explain.step("exit: " +
                 (stats.signal ? "killed by signal " + std::to_string(stats.signal)
                               : "status " + std::to_string(stats.exit_status)) +
                 "; the mount namespace ended with its last process, and the overlay and "
                 "/proc with it");
    cgroup.reset();
    explain.step("cgroup: removed " + name);
    const std::string base = dirs->base;
    dirs.reset();
    explain.step("union fs: removed " + base + " (upper and work layers)");

    if (!failure.empty()) {
        const std::string what = failure.substr(1);
        if (failure[0] == kExecFailed) {
            stats.start_error = "exec " + what;
            stats.exit_status = 127;
        } else {
            throw StartError("the container did not start: " + what);
        }
    }
    return stats;
}

}  // namespace ptv::containers

#include "container_init.hpp"

#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ptv/containers/namespaces.hpp"

namespace ptv::containers {

namespace {

void say(const InitPlan& plan, const std::string& line) {
    plan.explain.step_raw(line.data(), line.size());
}

// Reports "STEP: reason" to the parent and ends the child.
[[noreturn]] void fail(const InitPlan& plan, char kind, const char* step, int err) {
    char line[512];
    const int n = std::snprintf(line, sizeof line, "%c%s: %s", kind, step, strerror(err));
    if (n > 0) [[maybe_unused]]
        ssize_t w =
            ::write(plan.report_fd, line, size_t(n) < sizeof line ? size_t(n) : sizeof line - 1);
    ::_exit(127);
}

void mount_or_fail(const InitPlan& plan, const char* source, const std::string& target,
                   const char* type, unsigned long flags, const char* data, const char* step) {
    if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST)
        fail(plan, kSetupFailed, step, errno);
    if (::mount(source, target.c_str(), type, flags, data) != 0)
        fail(plan, kSetupFailed, step, errno);
}

}  // namespace

void container_init(const InitPlan& plan) {
    for (int fd : plan.close_fds)
        if (fd >= 0) ::close(fd);
    // Should ptv itself be killed, the container goes too: killing PID 1 of a
    // PID namespace kills every process in it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Wait until the parent has moved us into the control groups, so that
    // nothing the command does escapes their limits.
    char go = 0;
    if (::read(plan.sync_fd, &go, 1) != 1) ::_exit(127);
    ::close(plan.sync_fd);

    // Mount events would otherwise travel to the host through shared
    // propagation (systemd makes / shared): make every mount private first.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        fail(plan, kSetupFailed, "mount --make-rprivate /", errno);
    say(plan, plan.say_private);

    if (::sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
        fail(plan, kSetupFailed, "sethostname", errno);
    say(plan, plan.say_hostname);

    if (int err = bring_up_loopback(); err != 0) fail(plan, kSetupFailed, "lo up", err);
    say(plan, plan.say_loopback);

    if (::mount("overlay", plan.merged.c_str(), "overlay", 0, plan.overlay_data.c_str()) != 0)
        fail(plan, kSetupFailed, "mount overlay", errno);
    say(plan, plan.say_overlay);

    // A proc mounted by a process of the new PID namespace lists that
    // namespace's processes only; a sysfs mounted in the new network
    // namespace lists its interfaces only.
    mount_or_fail(plan, "proc", plan.proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr,
                  "mount proc");
    say(plan, plan.say_proc);
    mount_or_fail(plan, "sysfs", plan.sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  nullptr, "mount sysfs");
    say(plan, plan.say_sys);
    mount_or_fail(plan, "tmpfs", plan.dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k",
                  "mount tmpfs on /dev");
    for (const auto& d : plan.devices)
        if (::mknod(d.path.c_str(), S_IFCHR | 0666, makedev(d.major, d.minor)) != 0)
            fail(plan, kSetupFailed, "mknod in /dev", errno);
    for (const auto& [link, target] : plan.dev_links)
        if (::symlink(target.c_str(), link.c_str()) != 0)
            fail(plan, kSetupFailed, "symlink in /dev", errno);
    say(plan, plan.say_dev);

    // pivot_root(".", "."): the merged overlay becomes "/" and the old root
    // is stacked on top of it, then detached; nothing of the host's file
    // system stays reachable. Where pivot_root is refused (a root that is
    // not a mount, as in an initramfs) chroot is the weaker fallback.
    if (::chdir(plan.merged.c_str()) != 0) fail(plan, kSetupFailed, "chdir to the new root", errno);
    if (::syscall(SYS_pivot_root, ".", ".") == 0) {
        if (::umount2(".", MNT_DETACH) != 0) fail(plan, kSetupFailed, "detach the old root", errno);
        say(plan, plan.say_pivot);
    } else {
        if (::chroot(".") != 0) fail(plan, kSetupFailed, "pivot_root and chroot", errno);
        say(plan, plan.say_chroot);
    }
    if (::chdir("/") != 0) fail(plan, kSetupFailed, "chdir /", errno);

    say(plan, plan.say_exec);
    if (plan.stdout_fd >= 0 && ::dup2(plan.stdout_fd, 1) < 0)
        fail(plan, kSetupFailed, "dup2 stdout", errno);
    if (plan.stderr_fd >= 0 && ::dup2(plan.stderr_fd, 2) < 0)
        fail(plan, kSetupFailed, "dup2 stderr", errno);
    // No descriptor of the host's beyond 0, 1 and 2 reaches the command: an
    // open directory of the host's would be a way out of the new root.
    // (close_range is Linux 5.11; where it is missing, only close-on-exec
    // descriptors are closed.)
    ::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
    ::sigprocmask(SIG_SETMASK, &plan.signal_mask, nullptr);
    ::execve(plan.exe.c_str(), plan.argv.data(), plan.envp.data());
    fail(plan, kExecFailed, plan.exe.c_str(), errno);
}

}  // namespace ptv::containers

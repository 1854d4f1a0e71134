#include "ptv/worker/seccomp.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ptv::worker {

namespace {

// What the worker does after start-up, found by running every guest, the
// trace export, snapshots and the control channel under strace, and kept
// to that. Grouped by why it is needed.
constexpr int kAllowed[] = {
    // the vCPU and the VM: KVM_RUN and the state ioctls; the kick
    SCMP_SYS(ioctl),
    SCMP_SYS(tgkill),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    // memory (guest RAM, the trace buffer, malloc, thread stacks)
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    // threads (watchdog, stdin pump) and their synchronisation
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(gettid),
    SCMP_SYS(getpid),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(restart_syscall),
    // file descriptors: console, control socket, eventfds, trace, snapshots
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(close),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(eventfd2),
    SCMP_SYS(fcntl),
    SCMP_SYS(lseek),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    SCMP_SYS(accept4),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(shutdown),
    // the live trace stream (trace_stream.cpp): its listening socket, made
    // when the run starts, and the send timeout on each viewer
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(setsockopt),
    SCMP_SYS(rt_sigaction),  // SIGPIPE ignored: a viewer that goes away is not fatal
    // snapshot directories: written beside, renamed into place, old ones removed
    SCMP_SYS(openat),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(rmdir),
    SCMP_SYS(getdents64),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate),
    SCMP_SYS(getrandom),
    // live migration (migrate.cpp): the source connects to the destination
    // over TCP; the destination's post-copy takes page faults through
    // userfaultfd
    SCMP_SYS(connect),
    SCMP_SYS(getsockopt),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(userfaultfd),
    // the dispatch strategies (vnd/): an epoll loop over the doorbells'
    // eventfds, and the event strategy's timer for a disk's latency
    SCMP_SYS(epoll_create1),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
};

#ifdef PTV_SANITIZER_RUNTIME
// Sanitizer builds only: what the ASan/TSan runtimes call by themselves,
// behind the program's back -- TSan's clock (gettimeofday), its per-thread
// set-up (sched_getaffinity, sigaltstack, prlimit64), and writing a report
// (open, readlink, access on /proc/self/...). Found under strace with the
// jail off; a release build never allows them.
constexpr int kSanitizerRuntime[] = {
    SCMP_SYS(gettimeofday), SCMP_SYS(sched_getaffinity), SCMP_SYS(sigaltstack), SCMP_SYS(prlimit64),
    SCMP_SYS(open),         SCMP_SYS(readlink),          SCMP_SYS(access),      SCMP_SYS(getppid),
    SCMP_SYS(pipe2),  // ASan checks that memory is readable by writing it to a pipe
};
#endif

}  // namespace

void enter_seccomp_jail() {
    // No set-uid program may gain privileges from here on (and seccomp
    // without CAP_SYS_ADMIN requires it).
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        throw std::runtime_error(fmt::format("PR_SET_NO_NEW_PRIVS: {}", std::strerror(errno)));
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) throw std::runtime_error("seccomp_init failed");
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (int sys : kAllowed)
        if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys, 0);
#ifdef PTV_SANITIZER_RUNTIME
    for (int sys : kSanitizerRuntime)
        if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys, 0);
#endif
    // New threads only (clone with CLONE_THREAD), never new processes.
    // clone3 hides its flags in memory a filter cannot read: refuse it with
    // ENOSYS and glibc falls back to clone.
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    // Sockets: Unix (the trace stream) and TCP over IPv4/IPv6 (a live
    // migration's source connects to its destination); nothing else.
    for (scmp_datum_t family : {AF_UNIX, AF_INET, AF_INET6})
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                                  SCMP_A0(SCMP_CMP_EQ, family));
    if (rc == 0) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) throw std::runtime_error(fmt::format("seccomp filter: {}", std::strerror(-rc)));
}

}  // namespace ptv::worker

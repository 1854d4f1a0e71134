// Null Fork (Anderson et al. 1992, Table 1): the cost of creating a thread,
// running an empty body and joining it, on each kind of thread.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/threads/measure/measure.hpp"
#include "sys.hpp"

namespace ptv::threads::measure {

Run null_fork_fiber(uint64_t n) {
    // A user-level thread: a stack from the allocator and a context on it;
    // join() runs it on this very kernel thread, no system call anywhere.
    Run r;
    const uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; ++i) {
        boost::fibers::fiber f([] {});
        f.join();
    }
    r.ns = now_ns() - t0;
    r.ops = n;
    return r;
}

Run null_fork_thread(uint64_t n) {
    // A kernel thread: clone(), a kernel task to schedule, a futex to join.
    Run r;
    const uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; ++i) {
        std::thread t([] {});
        t.join();
    }
    r.ns = now_ns() - t0;
    r.ops = n;
    return r;
}

Run null_fork_process(uint64_t n) {
    // A process: a new address space (copy-on-write page tables), then the
    // parent waits for the child's exit and reaps it, so no zombie stays.
    Run r;
    const uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; ++i) reap(fork_child([] {}));
    r.ns = now_ns() - t0;
    r.ops = n;
    return r;
}

std::vector<Lifetime> sample_lifetimes(Kind kind, unsigned count) {
    // The body writes when it starts into a shared page, so that a forked
    // child can report it too (CLOCK_MONOTONIC is the same in every process).
    void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) fail("mmap");
    auto* started = static_cast<volatile uint64_t*>(page);
    std::vector<Lifetime> out;
    try {
        for (unsigned i = 0; i < count; ++i) {
            Lifetime l;
            auto body = [started] { *started = now_ns(); };
            l.created_ns = now_ns();
            switch (kind) {
                case Kind::Fiber: {
                    boost::fibers::fiber f(body);
                    f.join();
                    break;
                }
                case Kind::KernelThread: {
                    std::thread t(body);
                    t.join();
                    break;
                }
                case Kind::Process:
                    reap(fork_child(body));
                    break;
                case Kind::BareContext:
                    throw std::logic_error("sample_lifetimes: no Null Fork for a bare context");
            }
            l.joined_ns = now_ns();
            l.started_ns = *started;
            out.push_back(l);
        }
    } catch (...) {
        ::munmap(page, 4096);
        throw;
    }
    ::munmap(page, 4096);
    return out;
}

}  // namespace ptv::threads::measure

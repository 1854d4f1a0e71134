// Signal-Wait (Anderson et al. 1992, Table 1) and the context switch of
// Fig. 3-1: two threads handing control back and forth. Every loop counts
// its handoffs and checks that each side only ever ran on its own turn, so
// a measurement that did not really alternate is an error, not a number.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <boost/fiber/all.hpp>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/threads/measure/measure.hpp"
#include "sys.hpp"

namespace ptv::threads::measure {

namespace {

// The shared state of a ping-pong: `seq` counts handoffs; side `me` (0 or
// 1) may only act when seq % 2 == me.
struct Turns {
    uint64_t seq = 0;
    bool alternated = true;
    void act(unsigned me) {
        if (seq % 2 != me) alternated = false;
        ++seq;
    }
};

// The side of a pipe ping-pong that answers: reads a number, checks it is
// the one expected, writes the next one; stops at end of file. Raw system
// calls only, so that it can run in a forked child as well as in a thread.
// Returns 0 on a clean end, else a small error code.
int pipe_echo(int rd, int wr) {
    for (uint64_t expected = 0;; expected += 2) {
        uint64_t w = 0;
        size_t got = 0;
        while (got < sizeof w) {
            const ssize_t n = ::read(rd, reinterpret_cast<char*>(&w) + got, sizeof w - got);
            if (n == 0) return got == 0 ? 0 : 3;
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return 4;
            got += size_t(n);
        }
        if (w != expected) return 5;  // not our turn: the ping-pong broke
        ++w;
        ssize_t n;
        while ((n = ::write(wr, &w, sizeof w)) < 0 && errno == EINTR) {
        }
        if (n != ssize_t(sizeof w)) return 6;
    }
}

// The side that starts: n round trips, checking each answer.
Run pipe_drive(int wr, int rd, uint64_t n, uint64_t t0) {
    Run r;
    for (uint64_t i = 0; i < n; ++i) {
        write_word(wr, 2 * i);
        uint64_t w = 0;
        if (!read_word(rd, w)) throw std::runtime_error("ping-pong: the other side went away");
        if (w != 2 * i + 1) r.alternated = false;
        r.handoffs += 2;
    }
    r.ns = now_ns() - t0;
    return r;
}

// A pipe ping-pong with a kernel thread on the other side.
Run pipe_ping_pong_thread(uint64_t n, int pin_cpu) {
    Pipe there, back;
    int echo_status = 0;
    std::thread echo([&] {
        // If pinning fails, echo anyway (the driver is waiting), then report.
        bool pinned = true;
        if (pin_cpu >= 0) {
            try {
                pin_to(pin_cpu);
            } catch (...) {
                pinned = false;
            }
        }
        echo_status = pipe_echo(there.rd, back.wr);
        if (echo_status == 0 && !pinned) echo_status = 7;
        // On a broken ping-pong, end of file tells the driver (which does
        // not touch this end) to stop waiting.
        if (echo_status != 0) back.close_write();
    });
    Run r;
    try {
        r = pipe_drive(there.wr, back.rd, n, now_ns());
    } catch (...) {
        there.close_write();
        echo.join();
        throw;
    }
    there.close_write();  // end of file: the echo side returns
    echo.join();
    if (echo_status != 0)
        throw std::runtime_error("ping-pong: the echo thread failed (" +
                                 std::to_string(echo_status) + ")");
    return r;
}

// A pipe ping-pong with a forked process on the other side.
Run pipe_ping_pong_process(uint64_t n) {
    Pipe there, back;
    const pid_t child = fork_child([&] {
        // Our copies of the ends the child does not use must go, or it
        // would never see end of file.
        ::close(there.wr);
        ::close(back.rd);
        const int status = pipe_echo(there.rd, back.wr);
        if (status != 0) ::_exit(status);
    });
    there.close_read();
    back.close_write();
    Run r;
    try {
        r = pipe_drive(there.wr, back.rd, n, now_ns());
    } catch (...) {
        there.close_write();
        reap(child);
        throw;
    }
    there.close_write();
    reap(child);  // throws if the child saw the ping-pong break
    return r;
}

}  // namespace

Run signal_wait_fiber(uint64_t n) {
    // Two fibers on one kernel thread (this one's main fiber and one more):
    // the wait is a switch in user space to the other fiber, no kernel.
    boost::fibers::mutex m;
    boost::fibers::condition_variable cv;
    Turns turns;
    auto side = [&](unsigned me) {
        std::unique_lock lk(m);
        for (uint64_t i = 0; i < n; ++i) {
            cv.wait(lk, [&] { return turns.seq % 2 == me; });  // Wait
            turns.act(me);
            cv.notify_one();  // Signal
        }
    };
    boost::fibers::fiber other(side, 1u);
    const uint64_t t0 = now_ns();
    side(0);
    other.join();
    Run r{now_ns() - t0, n, turns.seq, turns.alternated && turns.seq == 2 * n};
    return r;
}

Run signal_wait_thread(uint64_t n) {
    // Two kernel threads: the wait blocks in the kernel (a futex), and the
    // signal makes the kernel schedule the other thread.
    std::mutex m;
    std::condition_variable cv;
    Turns turns;
    auto side = [&](unsigned me) {
        std::unique_lock lk(m);
        for (uint64_t i = 0; i < n; ++i) {
            cv.wait(lk, [&] { return turns.seq % 2 == me; });
            turns.act(me);
            cv.notify_one();
        }
    };
    std::thread other(side, 1u);
    const uint64_t t0 = now_ns();
    side(0);
    other.join();
    return Run{now_ns() - t0, n, turns.seq, turns.alternated && turns.seq == 2 * n};
}

Run signal_wait_process(uint64_t n) {
    // Two processes share no memory: the native way to signal one is to
    // write to a pipe it waits on.
    Run r = pipe_ping_pong_process(n);
    r.ops = n;
    return r;
}

Run switch_fiber(uint64_t n) {
    // Fig. 3-1, user level: yield() puts this fiber at the back of the
    // scheduler's ready queue and switches straight to the next one.
    Turns turns;
    auto side = [&](unsigned me) {
        for (uint64_t i = 0; i < n; ++i) {
            turns.act(me);
            boost::this_fiber::yield();
        }
    };
    boost::fibers::fiber other(side, 1u);
    const uint64_t t0 = now_ns();
    side(0);
    other.join();
    return Run{now_ns() - t0, 2 * n, turns.seq, turns.alternated && turns.seq == 2 * n};
}

Run switch_thread(uint64_t n) {
    // Fig. 3-1, kernel threads: both on one CPU, so each blocking read hands
    // the CPU to the other thread of the same address space.
    PinToOneCpu pin;
    Run r = pipe_ping_pong_thread(n, pin.cpu());
    r.ops = 2 * n;
    return r;
}

Run switch_process(uint64_t n) {
    // Fig. 3-1, processes: the same, but the switch also changes the
    // address space (page tables, TLB). The child inherits the pinning.
    PinToOneCpu pin;
    Run r = pipe_ping_pong_process(n);
    r.ops = 2 * n;
    return r;
}

Run switch_bare_context(uint64_t n) {
    // Boost.Context alone: save registers, swap stacks, restore; no ready
    // queue, no scheduler. What Boost.Fiber's yield is built on.
    namespace ctx = boost::context;
    uint64_t entered = 0;
    bool stop = false;
    ctx::fiber other{[&](ctx::fiber&& caller) {
        while (!stop) {
            ++entered;
            caller = std::move(caller).resume();
        }
        return std::move(caller);
    }};
    const uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; ++i) other = std::move(other).resume();
    const uint64_t ns = now_ns() - t0;
    stop = true;
    other = std::move(other).resume();  // let it return
    return Run{ns, 2 * n, 2 * entered, entered == n};
}

}  // namespace ptv::threads::measure

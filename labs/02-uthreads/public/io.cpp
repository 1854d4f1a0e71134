// Public cases: the weakness of the many-to-one model and its cure.
//
// Each case has a thread that waits for the outside world (a kernel thread
// of the harness writes a pipe, drains it, or connects, about 100 ms
// later) while two other threads count their yields. Whether they counted
// any while it waited says whether the wait stopped the whole process.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "harness/io_helpers.hpp"
#include "ptv/lab/harness.hpp"
#include "uthread.hpp"

using namespace std::chrono_literals;
using ptv::lab::expect;
using ptv::lab::expect_eq;
using uthread::lab::Later;
using uthread::lab::Pipe;

namespace {

// The counting threads of every case: yield until `done`.
struct Counters {
    long yields = 0;
    bool done = false;
    void start(int threads) {
        for (int i = 0; i < threads; ++i)
            uthread::create([this] {
                while (!done) {
                    ++yields;
                    uthread::yield();
                }
            });
    }
};

// What a waiting thread saw: the others' yields before and during its wait.
struct Seen {
    long before = -1, during = -1;
};

// Lets the counting threads get going, then runs `wait` and counts.
template <class F>
void measure(Counters& c, Seen& seen, F wait) {
    for (int i = 0; i < 5; ++i) uthread::yield();
    seen.before = c.yields;
    wait();
    seen.during = c.yields - seen.before;
    c.done = true;
}

}  // namespace

PTV_LAB_CASE("blocking-read-stalls-all") {
    // Thread 1 calls the plain read(2) on an empty pipe. The kernel sees one
    // thread (the one run() was called on) and blocks it: no user-level
    // thread runs until the harness writes, ~100 ms later.
    Pipe p;
    Later writer(100ms, [&] { uthread::lab::write_all(p.wr, "ping", 4); });
    Counters c;
    Seen seen;
    std::string got;
    uthread::run([&] {
        uthread::create([&] {
            measure(c, seen, [&] {
                char buf[16];
                const ssize_t n = ::read(p.rd, buf, sizeof buf);
                if (n > 0) got.assign(buf, size_t(n));
            });
        });
        c.start(2);
    });
    expect_eq(got, std::string("ping"), "what read() returned");
    expect(seen.before > 0, "the counting threads never ran before the read");
    ctx.measure("yields_during_blocking_read", double(seen.during));
    expect_eq(seen.during, 0L, "yields of the other threads while read() blocked");
}

PTV_LAB_CASE("jacket-read") {
    // The same wait through uthread::read: only thread 1 waits, the others
    // keep running. Then end of file, and an error.
    Pipe p;
    Later writer(100ms, [&] { uthread::lab::write_all(p.wr, "ping", 4); });
    Counters c;
    Seen seen;
    std::string got;
    ssize_t at_eof = -2, bad = -2;
    int bad_errno = 0;
    uthread::run([&] {
        uthread::create([&] {
            measure(c, seen, [&] {
                char buf[16];
                const ssize_t n = uthread::read(p.rd, buf, sizeof buf);
                if (n > 0) got.assign(buf, size_t(n));
            });
        });
        c.start(2);
    });
    expect_eq(got, std::string("ping"), "what uthread::read returned");
    ctx.measure("yields_during_jacket_read", double(seen.during));
    expect(seen.during > 0,
           "the other threads made no progress while uthread::read waited: it blocked "
           "the kernel thread");

    Later closer(50ms, [&] { p.close_write(); });
    uthread::run([&] {
        char buf[16];
        at_eof = uthread::read(p.rd, buf, sizeof buf);
        bad = uthread::read(-1, buf, sizeof buf);
        bad_errno = errno;
    });
    expect_eq(at_eof, ssize_t(0), "uthread::read at end of file");
    expect_eq(bad, ssize_t(-1), "uthread::read(-1, ...)");
    expect_eq(bad_errno, EBADF, "errno after uthread::read(-1, ...)");
}

PTV_LAB_CASE("jacket-write") {
    // Thread 1 writes 256 KiB into a pipe that holds 64 KiB; the harness
    // starts draining it ~100 ms later. A write that blocks the kernel
    // thread stops the counting threads until then.
    constexpr size_t kBytes = 256 * 1024;
    std::vector<unsigned char> data(kBytes);
    for (size_t i = 0; i < kBytes; ++i) data[i] = static_cast<unsigned char>(i * 7 + i / 251);
    Pipe p;
    std::vector<unsigned char> drained;
    Counters c;
    Seen seen;
    size_t written = 0;
    {
        Later drain(100ms, [&] {
            unsigned char buf[8192];
            ssize_t n;
            while ((n = ::read(p.rd, buf, sizeof buf)) > 0)
                drained.insert(drained.end(), buf, buf + n);
        });
        try {
            uthread::run([&] {
                uthread::create([&] {
                    measure(c, seen, [&] {
                        while (written < kBytes) {
                            const ssize_t n =
                                uthread::write(p.wr, data.data() + written, kBytes - written);
                            if (n <= 0) break;
                            written += size_t(n);
                        }
                    });
                    p.close_write();
                });
                c.start(2);
            });
        } catch (...) {
            p.close_write();  // so that the drain ends
            throw;
        }
        p.close_write();
    }  // the drain has read to the end of file
    expect_eq(written, kBytes, "bytes uthread::write wrote");
    ctx.measure("yields_during_jacket_write", double(seen.during));
    expect(seen.during > 0,
           "the other threads made no progress while uthread::write waited: it blocked "
           "the kernel thread");
    expect(drained == data, "the pipe's reader did not receive exactly the bytes written");
}

PTV_LAB_CASE("jacket-accept") {
    // Thread 1 accepts on a listening socket; the harness connects ~100 ms
    // later and sends "hi".
    uthread::lab::Listener l;
    Later client(100ms, [port = l.port] {
        const int s = uthread::lab::connect_local(port);
        if (s >= 0) {
            uthread::lab::write_all(s, "hi", 2);
            ::close(s);
        }
    });
    Counters c;
    Seen seen;
    std::string got;
    uthread::run([&] {
        uthread::create([&] {
            int conn = -1;
            measure(c, seen, [&] { conn = uthread::accept(l.fd, nullptr, nullptr); });
            if (conn < 0) return;
            char buf[16];
            ssize_t n;
            while ((n = uthread::read(conn, buf, sizeof buf)) > 0) got.append(buf, size_t(n));
            ::close(conn);
        });
        c.start(2);
    });
    expect_eq(got, std::string("hi"), "what the accepted connection carried");
    ctx.measure("yields_during_jacket_accept", double(seen.during));
    expect(seen.during > 0,
           "the other threads made no progress while uthread::accept waited: it blocked "
           "the kernel thread");
}

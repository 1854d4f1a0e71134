// Public cases run in the sanitizer builds (lab.json: "variant"). They
// check nothing a normal build could not; what they add is the sanitizer
// watching: AddressSanitizer for memory a finished or destroyed thread left
// behind (a stack or a record used after it was freed, or never freed),
// ThreadSanitizer for the package's state touched from a kernel thread
// other than the one that called run().
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "harness/io_helpers.hpp"
#include "harness/workload.hpp"
#include "ptv/lab/harness.hpp"
#include "uthread.hpp"

using namespace std::chrono_literals;
using ptv::lab::expect;
using ptv::lab::expect_eq;

PTV_LAB_CASE("threads-freed") {
    // 1. 200 threads that end by returning or by exit(), each with heap
    //    memory on its stack; each is joined twice after it ended.
    long sum = 0;
    uthread::run([&] {
        std::vector<uthread::Id> ids;
        for (int k = 0; k < 200; ++k)
            ids.push_back(uthread::create([&sum, k] {
                std::vector<int> mine(64, k);
                uthread::yield();
                sum += mine[63];
                if (k % 2) uthread::exit();
            }));
        uthread::yield();
        uthread::yield();
        for (auto it = ids.rbegin(); it != ids.rend(); ++it) uthread::join(*it);
        for (uthread::Id id : ids) uthread::join(id);
    });
    expect_eq(sum, 199L * 200 / 2, "sum of what the 200 threads added");

    // 2. A deadlock that leaves 10 threads blocked, each with heap memory on
    //    its stack: run() must free them (a leak fails this test).
    std::vector<uthread::Id> blocked;
    uthread::Mutex m;
    try {
        uthread::run([&] {
            m.lock();
            for (int k = 0; k < 10; ++k)
                uthread::create([&m] {
                    std::vector<int> mine(256, 1);
                    m.lock();
                });
            uthread::yield();
        });
    } catch (const uthread::Deadlock& e) {
        blocked = e.blocked;
    }
    expect_eq(blocked.size(), size_t(10), "threads left blocked");

    // 3. Random workloads, half of which end in a deadlock.
    for (uint64_t i = 0; i < 20; ++i) {
        const uthread::lab::Workload w = uthread::lab::generate_workload(ctx.seed() * 20 + i);
        const std::string diff = uthread::lab::compare(w, uthread::lab::run_on_package(w),
                                                       uthread::lab::model_schedule(w));
        expect(diff.empty(), "workload " + std::to_string(i) + ": " + diff);
    }
}

PTV_LAB_CASE("jackets-race-free") {
    // The jackets while kernel threads of the harness write, drain and
    // connect: everything the package shares must stay on the kernel thread
    // that called run() (the kernel threads share only the pipe and socket).
    uthread::lab::Pipe in, out;
    uthread::lab::Listener l;
    std::vector<char> drained;
    std::string got, from_client;
    {
        uthread::lab::Later writer(50ms, [&] { uthread::lab::write_all(in.wr, "ping", 4); });
        uthread::lab::Later drain(50ms, [&] {
            char buf[4096];
            ssize_t n;
            while ((n = ::read(out.rd, buf, sizeof buf)) > 0)
                drained.insert(drained.end(), buf, buf + n);
        });
        uthread::lab::Later client(50ms, [port = l.port] {
            const int s = uthread::lab::connect_local(port);
            if (s >= 0) {
                uthread::lab::write_all(s, "hi", 2);
                ::close(s);
            }
        });
        try {
            uthread::run([&] {
                uthread::create([&] {
                    char buf[16];
                    const ssize_t n = uthread::read(in.rd, buf, sizeof buf);
                    if (n > 0) got.assign(buf, size_t(n));
                });
                uthread::create([&] {
                    const std::vector<char> data(200 * 1024, 'x');
                    size_t done = 0;
                    while (done < data.size()) {
                        const ssize_t n =
                            uthread::write(out.wr, data.data() + done, data.size() - done);
                        if (n <= 0) break;
                        done += size_t(n);
                    }
                    out.close_write();
                });
                uthread::create([&] {
                    const int c = uthread::accept(l.fd, nullptr, nullptr);
                    if (c < 0) return;
                    char buf[16];
                    ssize_t n;
                    while ((n = uthread::read(c, buf, sizeof buf)) > 0)
                        from_client.append(buf, size_t(n));
                    ::close(c);
                });
            });
        } catch (...) {
            out.close_write();
            throw;
        }
        out.close_write();
    }
    expect_eq(got, std::string("ping"), "what uthread::read returned");
    expect_eq(drained.size(), size_t(200 * 1024), "bytes the harness drained");
    expect_eq(from_client, std::string("hi"), "what the accepted connection carried");
}

// `ptv threads demo blocking`: a blocking read() under user-level threads
// (ch. 3.1). See blocking.hpp for the three runs.
#include "ptv/threads/demo/blocking.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <boost/fiber/algo/shared_work.hpp>
#include <boost/fiber/all.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/common/trace.hpp"

namespace ptv::threads::demo {

void validate(const BlockingOptions& o) {
    if (o.fibers < 1 || o.fibers > 1000)
        throw UsageError(
            fmt::format("--fibers {} is out of range; give 1 to 1000 worker fibers", o.fibers));
    if (o.block_ms < 1 || o.block_ms > 10000)
        throw UsageError(
            fmt::format("--block-ms {} is out of range; give 1 to 10000 milliseconds", o.block_ms));
    if (o.kernel_threads < 1 || o.kernel_threads > 64)
        throw UsageError(fmt::format(
            "--kernel-threads {} is out of range; give 1 to 64 kernel threads", o.kernel_threads));
    if (o.window_ms < 1 || o.window_ms > 10000)
        throw UsageError(
            fmt::format("window of {} ms is out of range; give 1 to 10000 ms", o.window_ms));
    if (o.unit_us < 1 || o.unit_us > 100000)
        throw UsageError(
            fmt::format("work unit of {} µs is out of range; give 1 to 100000 µs", o.unit_us));
}

namespace {

// Which kernel thread of the run the caller is on. Fibers migrate between
// kernel threads under shared_work, so this is read afresh at every unit
// (noinline: the compiler must not keep a thread-local address across a
// yield, after which the fiber may be on another kernel thread).
thread_local int tls_kernel_thread = 0;
[[gnu::noinline]] int current_kernel_thread() {
    return tls_kernel_thread;
}

struct Pipe {
    int read_end = -1, write_end = -1;
    Pipe() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error(fmt::format("pipe2: {}", std::strerror(errno)));
        read_end = fds[0];
        write_end = fds[1];
    }
    ~Pipe() {
        close(read_end);
        close(write_end);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
};

// State shared by the fibers and threads of one run.
struct RunState {
    RunState(const BlockingOptions& o, BlockingKind k) : options(o), kind(k) {}
    const BlockingOptions& options;
    BlockingKind kind;
    Pipe pipe;
    std::atomic<bool> stop{false};
    std::vector<std::vector<WorkUnit>> units;  // per worker fiber
    std::promise<uint64_t> block_started;      // tells the writer thread
    uint64_t block_start_ns = 0, block_end_ns = 0;
    int blocker_kernel_thread = 0;
    uint64_t stop_ns = 0;
};

// A worker fiber: ~unit_us of busy work, count it, yield; until told to stop.
void worker(RunState& s, int index) {
    auto& mine = s.units[index];
    const uint64_t unit_ns = uint64_t(s.options.unit_us) * 1000;
    volatile uint64_t sink = 0;
    while (!s.stop.load(std::memory_order_relaxed)) {
        WorkUnit u;
        u.fiber = index;
        u.start_ns = now_ns();
        u.kernel_thread = current_kernel_thread();
        while (now_ns() - u.start_ns < unit_ns) sink = sink + 1;
        u.end_ns = now_ns();
        mine.push_back(u);
        boost::this_fiber::yield();
    }
}

// The fiber that reads the pipe: unblocked window, the read, window, stop.
// Lets the other fibers run for `ms`, by yielding. (Not sleep_for: under
// shared_work a thread serves its own dispatcher, which wakes sleepers, only
// when the shared ready queue is empty, and here it never is.)
void yield_for(int ms) {
    const uint64_t until = now_ns() + uint64_t(ms) * 1'000'000;
    while (now_ns() < until) boost::this_fiber::yield();
}

void reader(RunState& s) {
    yield_for(s.options.window_ms);
    char byte = 0;
    s.blocker_kernel_thread = current_kernel_thread();
    s.block_start_ns = now_ns();
    s.block_started.set_value(s.block_start_ns);
    if (s.kind != BlockingKind::FiberAwareWait) {
        // The plain system call: the kernel blocks the calling KERNEL thread,
        // and with it every user-level thread its scheduler would have run.
        while (read(s.pipe.read_end, &byte, 1) < 0 && errno == EINTR) {
        }
    } else {
        // A "jacket" around the call, as user-level thread packages do: make
        // it non-blocking, and when it would block let the fiber scheduler
        // run someone else (sleep_for) before trying again.
        fcntl(s.pipe.read_end, F_SETFL, fcntl(s.pipe.read_end, F_GETFL) | O_NONBLOCK);
        while (read(s.pipe.read_end, &byte, 1) < 0 && (errno == EAGAIN || errno == EINTR))
            boost::this_fiber::sleep_for(std::chrono::microseconds(200));
    }
    s.block_end_ns = now_ns();
    yield_for(s.options.window_ms);
    s.stop_ns = now_ns();
    s.stop.store(true);
}

// Launches the fibers on the calling kernel thread and joins them.
void launch_and_join(RunState& s) {
    std::vector<boost::fibers::fiber> fibers;
    for (int i = 0; i < s.options.fibers; ++i) fibers.emplace_back([&s, i] { worker(s, i); });
    fibers.emplace_back([&s] { reader(s); });
    for (auto& f : fibers) f.join();
}

}  // namespace

BlockingRun run_blocking(const BlockingOptions& options, BlockingKind kind) {
    validate(options);
    RunState s(options, kind);
    s.units.resize(options.fibers);
    const int kernel_threads = kind == BlockingKind::SharedWork ? options.kernel_threads : 1;
    for (auto& u : s.units)
        u.reserve(size_t(2 * options.window_ms + options.block_ms) * 1000 / options.unit_us *
                      kernel_threads / options.fibers +
                  16);

    // The other end of the pipe: a plain kernel thread writes one byte
    // block_ms after the read began.
    auto started = s.block_started.get_future();
    uint64_t write_ns = 0;
    std::thread writer([&] {
        uint64_t t = started.get() + uint64_t(options.block_ms) * 1'000'000;
        while (now_ns() < t) std::this_thread::sleep_for(std::chrono::nanoseconds(t - now_ns()));
        write_ns = now_ns();
        char byte = 'x';
        while (write(s.pipe.write_end, &byte, 1) < 0 && errno == EINTR) {
        }
    });

    BlockingRun run;
    run.kind = kind;
    run.kernel_threads = kernel_threads;
    run.start_ns = now_ns();
    if (kind != BlockingKind::SharedWork) {
        // Many-to-one: a fresh kernel thread with Boost.Fiber's default
        // round_robin scheduler runs every fiber.
        std::thread t([&] {
            tls_kernel_thread = 0;
            launch_and_join(s);
        });
        t.join();
    } else {
        // Many-to-many (the LWP model, Fig. 3-2): K kernel threads, each with
        // a shared_work scheduler, so all of them take ready fibers from ONE
        // ready queue. Kernel thread 0 launches and joins the fibers; the
        // others only lend themselves to the scheduler until the run is over.
        boost::fibers::mutex mtx;
        boost::fibers::condition_variable cv;
        bool done = false;
        std::vector<std::thread> lwps;
        for (int k = 0; k < kernel_threads; ++k)
            lwps.emplace_back([&, k] {
                tls_kernel_thread = k;
                boost::fibers::use_scheduling_algorithm<boost::fibers::algo::shared_work>();
                if (k == 0) {
                    launch_and_join(s);
                    std::unique_lock lk(mtx);
                    done = true;
                    cv.notify_all();
                } else {
                    std::unique_lock lk(mtx);
                    cv.wait(lk, [&] { return done; });
                }
            });
        for (auto& t : lwps) t.join();
    }
    run.end_ns = now_ns();
    writer.join();

    run.write_ns = write_ns;
    run.block_start_ns = s.block_start_ns;
    run.block_end_ns = s.block_end_ns;
    run.blocker_kernel_thread = s.blocker_kernel_thread;
    switch (kind) {
        case BlockingKind::OneKernelThread:
            run.name = "M:1, blocking read()";
            break;
        case BlockingKind::SharedWork:
            run.name = "M:N (shared_work), blocking read()";
            break;
        case BlockingKind::FiberAwareWait:
            run.name = "M:1, fiber-aware wait";
            break;
    }
    for (auto& v : s.units) run.units.insert(run.units.end(), v.begin(), v.end());
    std::sort(run.units.begin(), run.units.end(),
              [](const WorkUnit& a, const WorkUnit& b) { return a.end_ns < b.end_ns; });

    // The measurements, over [start, stop]: units of the other fibers that
    // completed while the reader waited, against those that completed the
    // rest of the time.
    const uint64_t b0 = s.block_start_ns, b1 = s.block_end_ns;
    const uint64_t stop = std::max(s.stop_ns, b1);
    uint64_t during = 0, outside = 0;
    uint64_t last = run.start_ns, longest = 0;
    for (const auto& u : run.units) {
        if (u.end_ns > b0 && u.end_ns <= b1)
            ++during;
        else if (u.end_ns <= stop)
            ++outside;
        if (u.end_ns <= stop) {
            longest = std::max(longest, u.end_ns - last);
            last = u.end_ns;
        }
    }
    longest = std::max(longest, stop - std::min(stop, last));
    run.units_during_block = during;
    run.block_ms = double(b1 - b0) / 1e6;
    run.rate_during_block = run.block_ms > 0 ? double(during) / run.block_ms : 0;
    const double outside_ms = double(stop - run.start_ns) / 1e6 - run.block_ms;
    run.rate_unblocked = outside_ms > 0 ? double(outside) / outside_ms : 0;
    run.progress = run.rate_unblocked > 0 ? run.rate_during_block / run.rate_unblocked : 0;
    run.longest_stall_ms = double(longest) / 1e6;
    run.total_ms = double(run.end_ns - run.start_ns) / 1e6;
    return run;
}

BlockingResult run_blocking_demo(const BlockingOptions& options) {
    validate(options);
    BlockingResult result{options, {}};
    for (auto kind :
         {BlockingKind::OneKernelThread, BlockingKind::SharedWork, BlockingKind::FiberAwareWait})
        result.runs.push_back(run_blocking(options, kind));
    return result;
}

std::string render_table(const BlockingResult& r) {
    Table t({"run", "kernel threads", "units in block", "units/ms in block", "units/ms otherwise",
             "progress", "longest stall", "total"});
    t.right_align({1, 2, 3, 4, 5, 6, 7});
    for (const auto& run : r.runs)
        t.row({run.name, std::to_string(run.kernel_threads), std::to_string(run.units_during_block),
               fmt::format("{:.1f}", run.rate_during_block),
               fmt::format("{:.1f}", run.rate_unblocked),
               fmt::format("{:.0f}%", 100 * run.progress),
               fmt::format("{:.1f} ms", run.longest_stall_ms),
               fmt::format("{:.0f} ms", run.total_ms)});
    std::string out = fmt::format(
        "{} worker fibers (~{} µs of work per unit, then yield) and 1 fiber that reads a pipe "
        "written {} ms later.\n",
        r.options.fibers, r.options.unit_us, r.options.block_ms);
    out += t.render();
    out +=
        "units = work units of the other fibers; progress = their rate while the read waits / "
        "their\n"
        "rate the rest of the run; longest stall = longest gap between two of their units.\n"
        "Many-to-one: the kernel blocks the one kernel thread in read(), so every fiber stops "
        "(ch. 3.1).\n"
        "Many-to-many: another kernel thread (LWP) keeps running the ready fibers (Fig. 3-2).\n"
        "Fiber-aware wait: only the fiber waits; the kernel thread runs the others.\n";
    return out;
}

nlohmann::json to_json(const BlockingResult& r) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& run : r.runs) {
        static const char* kinds[] = {"one_kernel_thread", "shared_work", "fiber_aware_wait"};
        runs.push_back({{"run", kinds[int(run.kind)]},
                        {"name", run.name},
                        {"kernel_threads", run.kernel_threads},
                        {"units_during_block", run.units_during_block},
                        {"block_ms", run.block_ms},
                        {"units_per_ms_during_block", run.rate_during_block},
                        {"units_per_ms_unblocked", run.rate_unblocked},
                        {"progress", run.progress},
                        {"longest_stall_ms", run.longest_stall_ms},
                        {"total_ms", run.total_ms}});
    }
    return {{"demo", "blocking"},
            {"fibers", r.options.fibers},
            {"block_ms", r.options.block_ms},
            {"kernel_threads", r.options.kernel_threads},
            {"unit_us", r.options.unit_us},
            {"runs", runs}};
}

void write_trace(const BlockingResult& r, ptv::trace::TraceWriter& tw) {
    if (r.runs.empty()) return;
    const uint64_t t0 = r.runs.front().start_ns;
    auto us = [t0](uint64_t ns) { return double(ns - t0) / 1e3; };
    const int n = r.options.fibers;
    // tids: 1..n worker fibers, n+1 the reader, 1000+k kernel thread k,
    // 2000 the writer thread.
    const int reader_tid = n + 1, writer_tid = 2000;
    auto kt_tid = [](int k) { return 1000 + k; };
    for (size_t i = 0; i < r.runs.size(); ++i) {
        const auto& run = r.runs[i];
        const int pid = int(i) + 1;
        tw.process_name(pid, fmt::format("run {}: {}", pid, run.name));
        for (int f = 0; f < n; ++f) tw.thread_name(pid, f + 1, fmt::format("fiber {}", f));
        tw.thread_name(pid, reader_tid, "fiber reading the pipe");
        for (int k = 0; k < run.kernel_threads; ++k) {
            tw.thread_name(pid, kt_tid(k), fmt::format("kernel thread {}", k));
            tw.thread_sort_index(pid, kt_tid(k), 1000 + k);
        }
        tw.thread_name(pid, writer_tid, "writer thread");
        tw.thread_sort_index(pid, writer_tid, 2000);
        for (const auto& u : run.units) {
            const double ts = us(u.start_ns), dur = double(u.end_ns - u.start_ns) / 1e3;
            tw.complete("thread", "running", pid, u.fiber + 1, ts, dur,
                        {{"kernel_thread", u.kernel_thread}});
            tw.complete("thread", fmt::format("fiber {}", u.fiber), pid, kt_tid(u.kernel_thread),
                        ts, dur);
        }
        const double b0 = us(run.block_start_ns),
                     bdur = double(run.block_end_ns - run.block_start_ns) / 1e3;
        const bool plain = run.kind != BlockingKind::FiberAwareWait;
        tw.complete("thread", plain ? "blocked in read()" : "waiting (fiber-aware read)", pid,
                    reader_tid, b0, bdur, {{"kernel_thread", run.blocker_kernel_thread}});
        if (plain)
            tw.complete("thread", "blocked in read() (kernel)", pid,
                        kt_tid(run.blocker_kernel_thread), b0, bdur,
                        {{"others_units_during_block", run.units_during_block}});
        tw.instant("thread", "write(pipe)", pid, writer_tid, us(run.write_ns));
    }
    tw.metadata("demo", to_json(r));
}

}  // namespace ptv::threads::demo

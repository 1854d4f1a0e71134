// The measurement library with tiny counts: what it returns is sane, the
// ping-pongs alternate exactly, and fork() leaves nothing behind.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "process.hpp"
#include "ptv/threads/measure/measure.hpp"
#include "ptv/threads/measure/report.hpp"

namespace m = ptv::threads::measure;

namespace {

// No child of this process is left, running or zombie.
void check_no_children() {
    CHECK(ptv::test::children_of(::getpid()).empty());
    errno = 0;
    CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
}

}  // namespace

TEST_CASE("every measurement gives a positive, finite time per operation") {
    for (m::Op op : m::kOps)
        for (m::Kind kind : m::kKinds) {
            CAPTURE(m::label(op));
            CAPTURE(m::label(kind));
            const m::Run r = m::run_once(op, kind, 3);
            CHECK(r.ops > 0);
            CHECK(r.ns > 0);
            CHECK(std::isfinite(r.ns_per_op()));
            CHECK(r.ns_per_op() > 0);
            CHECK(r.alternated);
        }
    const m::Run bare = m::run_once(m::Op::ContextSwitch, m::Kind::BareContext, 3);
    CHECK(bare.ops == 6);
    CHECK(bare.ns_per_op() > 0);
}

TEST_CASE("Null Fork counts one operation per fork") {
    CHECK(m::null_fork_fiber(7).ops == 7);
    CHECK(m::null_fork_thread(7).ops == 7);
    CHECK(m::null_fork_process(7).ops == 7);
    check_no_children();
}

TEST_CASE("Signal-Wait ping-pongs alternate: exactly two handoffs per round trip") {
    const uint64_t n = 100;
    for (auto f : {m::signal_wait_fiber, m::signal_wait_thread, m::signal_wait_process}) {
        const m::Run r = f(n);
        CHECK(r.ops == n);  // one Signal-Wait per round trip, as Anderson counts it
        CHECK(r.handoffs == 2 * n);
        CHECK(r.alternated);
    }
    check_no_children();
}

TEST_CASE("context-switch ping-pongs alternate: two switches per round trip") {
    const uint64_t n = 100;
    for (auto f : {m::switch_fiber, m::switch_thread, m::switch_process, m::switch_bare_context}) {
        const m::Run r = f(n);
        CHECK(r.ops == 2 * n);
        CHECK(r.handoffs == 2 * n);
        CHECK(r.alternated);
    }
    check_no_children();
}

TEST_CASE("the pinned switch measurements give the caller its CPU affinity back") {
    cpu_set_t before, after;
    REQUIRE(::sched_getaffinity(0, sizeof before, &before) == 0);
    m::switch_thread(10);
    m::switch_process(10);
    REQUIRE(::sched_getaffinity(0, sizeof after, &after) == 0);
    CHECK(CPU_EQUAL(&before, &after));
}

TEST_CASE("fork measurements leave no child process, running or zombie") {
    m::null_fork_process(20);
    m::signal_wait_process(20);
    m::switch_process(20);
    m::sample_lifetimes(m::Kind::Process, 3);
    check_no_children();
}

TEST_CASE("lifetimes: the body starts after the create call and before the join returns") {
    for (m::Kind kind : m::kKinds) {
        CAPTURE(m::label(kind));
        const auto ls = m::sample_lifetimes(kind, 3);
        REQUIRE(ls.size() == 3);
        for (const m::Lifetime& l : ls) {
            CHECK(l.created_ns <= l.started_ns);
            CHECK(l.started_ns <= l.joined_ns);
        }
    }
}

TEST_CASE("measure_all fills every cell of the table, with the trials asked for") {
    m::Options o;
    o.iterations = 1;
    o.trials = 2;
    o.bare_context = true;
    unsigned progress_calls = 0;
    o.progress = [&](const m::Cell&, unsigned) { ++progress_calls; };
    const m::Results r = m::measure_all(o);
    CHECK(r.cells.size() == 10);
    CHECK(progress_calls == 20);
    for (const m::Cell& c : r.cells) {
        CHECK(c.trials.size() == 2);
        CHECK(c.iterations >= 1);
        CHECK(std::isfinite(c.median_ns()));
        CHECK(c.median_ns() > 0);
    }
    const std::string table = m::render_table(r);
    for (const char* s : {"Null Fork", "Signal-Wait", "context switch", "Anderson 1992",
                          "this machine", "11,300", "1,840", "bare Boost.Context"})
        CHECK(table.find(s) != std::string::npos);
    check_no_children();
}

TEST_CASE("iteration counts scale from the process Null Fork, cheaper cells run more") {
    CHECK(m::iterations_for(m::Op::NullFork, m::Kind::Process, 7) == 7);
    for (m::Op op : m::kOps)
        for (m::Kind kind : m::kKinds) CHECK(m::iterations_for(op, kind, 7) >= 7);
    m::Options zero;
    zero.iterations = 0;
    CHECK_THROWS(m::measure_all(zero));
}

TEST_CASE("Anderson et al. 1992, Table 1") {
    using m::Kind, m::Op;
    CHECK(m::anderson_1992_us(Op::NullFork, Kind::Fiber) == 34);
    CHECK(m::anderson_1992_us(Op::NullFork, Kind::KernelThread) == 948);
    CHECK(m::anderson_1992_us(Op::NullFork, Kind::Process) == 11300);
    CHECK(m::anderson_1992_us(Op::SignalWait, Kind::Fiber) == 37);
    CHECK(m::anderson_1992_us(Op::SignalWait, Kind::KernelThread) == 441);
    CHECK(m::anderson_1992_us(Op::SignalWait, Kind::Process) == 1840);
    CHECK(m::anderson_1992_us(Op::ContextSwitch, Kind::Fiber) < 0);
}

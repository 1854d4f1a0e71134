// `ptv servers sim`: the exact answers of sim/servers/sim/README.md, the
// properties its rules imply on many seeds, and its command line.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/servers/sim/model.hpp"
#include "ptv/servers/sim/report.hpp"

using namespace ptv::servers::sim;
using A = ptv::servers::arch::Architecture;

namespace {

const RequestTimes& at(const Result& r, int client, int index) {
    for (const auto& q : r.requests)
        if (q.client == client && q.index == index) return q;
    FAIL("no such request");
    return r.requests.front();
}

}  // namespace

TEST_CASE("worked example: 4 clients, 2 ms CPU + 10 ms disk, 1 CPU, K = 2, fork 1 ms") {
    const Config c;  // the defaults are the README's example
    struct Expect {
        A arch;
        int makespan;
        double throughput;
    };
    const Expect expect[] = {
        {A::Iterative, 240, 83.3},
        {A::ThreadPerConnection, 66, 303.0},
        {A::DispatcherWorker, 122, 163.9},
        {A::ProcessPerConnection, 70, 285.7},
        {A::Prefork, 122, 163.9},
        {A::FiniteStateMachine, 66, 303.0},
        {A::Fibers, 66, 303.0},
    };
    for (const auto& e : expect) {
        Result r = simulate(e.arch, c);
        INFO(ptv::servers::arch::to_string(e.arch));
        CHECK(r.makespan == e.makespan);
        CHECK(r.throughput() == doctest::Approx(e.throughput).epsilon(0.001));
        CHECK(r.requests.size() == 20);
    }
    // Iterative: strict turns of 12 ms, round robin over the clients.
    Result it = simulate(A::Iterative, c);
    CHECK(at(it, 1, 0).slot == 12);
    CHECK(at(it, 0, 1).arrive == 12);
    CHECK(at(it, 0, 1).slot == 48);
    CHECK(at(it, 1, 4).done == 216);
    CHECK(it.mean_response() == doctest::Approx(44.4));
    // A slot per client: the first bursts queue for the one CPU, then every
    // client cycles in 12 ms.
    Result tpc = simulate(A::ThreadPerConnection, c);
    CHECK(at(tpc, 3, 0).cpu_start == 6);
    CHECK(at(tpc, 3, 0).done == 18);
    CHECK(at(tpc, 3, 4).done == 66);
    CHECK(at(tpc, 2, 1).cpu_start == 16);
    // K = 2: two in service; C2 gets C0's worker at 12.
    Result dw = simulate(A::DispatcherWorker, c);
    CHECK(at(dw, 2, 0).slot == 12);
    CHECK(at(dw, 2, 0).done == 24);
    CHECK(at(dw, 0, 1).slot == 24);
    // Forks lengthen each client's first burst to 3 ms.
    Result ppc = simulate(A::ProcessPerConnection, c);
    CHECK(at(ppc, 3, 0).cpu_start == 9);
    CHECK(at(ppc, 3, 0).cpu_ticks == 3);
    CHECK(at(ppc, 3, 1).cpu_ticks == 2);
    CHECK(at(ppc, 3, 0).done == 22);
    CHECK(ppc.cpu_busy == 44);
}

TEST_CASE("two CPUs help the threads and processes, not the single-threaded servers") {
    Config c;
    c.cpus = 2;
    CHECK(simulate(A::ThreadPerConnection, c).makespan == 62);
    CHECK(simulate(A::ProcessPerConnection, c).makespan == 64);
    CHECK(simulate(A::DispatcherWorker, c).makespan == 120);
    CHECK(simulate(A::FiniteStateMachine, c).makespan == 66);
    CHECK(simulate(A::Iterative, c).makespan == 240);
    Result tpc = simulate(A::ThreadPerConnection, c);
    CHECK(at(tpc, 1, 0).cpu == 1);
    CHECK(at(tpc, 1, 0).cpu_start == 0);
    CHECK(tpc.throughput() == doctest::Approx(322.6).epsilon(0.001));
}

TEST_CASE("think time and no disk") {
    Config c;
    c.disk = 0;
    for (A a : {A::Iterative, A::ThreadPerConnection, A::DispatcherWorker, A::Prefork,
                A::FiniteStateMachine, A::Fibers})
        CHECK(simulate(a, c).makespan == 40);  // 20 requests x 2 ms on one CPU
    CHECK(simulate(A::ProcessPerConnection, c).makespan == 44);
    c.disk = 10;
    c.think = 5;
    c.clients = 1;
    c.requests = 3;
    Result r = simulate(A::Iterative, c);
    CHECK(at(r, 0, 1).arrive == 17);
    CHECK(r.makespan == 12 + 17 + 17);
}

TEST_CASE("properties of the rules on 300 seeds") {
    for (uint64_t seed = 0; seed < 300; ++seed) {
        Config c = generate(seed);
        INFO("seed " << seed);
        Result it = simulate(A::Iterative, c), tpc = simulate(A::ThreadPerConnection, c),
               dw = simulate(A::DispatcherWorker, c), pf = simulate(A::Prefork, c),
               ppc = simulate(A::ProcessPerConnection, c), fsm = simulate(A::FiniteStateMachine, c),
               fib = simulate(A::Fibers, c);
        const int n = c.clients * c.requests;
        // Iterative: one request at a time, each C + D.
        CHECK(it.makespan == n * (c.cpu + c.disk));
        // Same shape, same answers.
        CHECK(dw.makespan == pf.makespan);
        CHECK(fsm.makespan == fib.makespan);
        if (c.cpus == 1) CHECK(tpc.makespan == fsm.makespan);
        // More slots never hurt; a slot per client is K = N.
        Config all = c;
        all.workers = c.clients;
        CHECK(simulate(A::DispatcherWorker, all).makespan == tpc.makespan);
        CHECK(dw.makespan >= tpc.makespan);
        CHECK(it.makespan >= dw.makespan);
        // A free fork is no process at all.
        Config free_fork = c;
        free_fork.fork = 0;
        CHECK(simulate(A::ProcessPerConnection, free_fork).makespan == tpc.makespan);
        // Conservation and order of each request's life.
        CHECK(tpc.cpu_busy == int64_t(n) * c.cpu);
        CHECK(ppc.cpu_busy == int64_t(n) * c.cpu + int64_t(c.clients) * c.fork);
        for (const Result* r : {&it, &tpc, &dw, &ppc, &fsm}) {
            int last = 0;
            for (const auto& q : r->requests) {
                CHECK(q.arrive <= q.slot);
                CHECK(q.slot <= q.cpu_start);
                CHECK(q.cpu_end == q.cpu_start + q.cpu_ticks);
                CHECK(q.done == q.cpu_end + c.disk);
                CHECK(q.cpu < r->shape.cpus);
                last = std::max(last, q.done);
            }
            CHECK(last == r->makespan);
            CHECK(r->utilisation() <= 1.0);
        }
    }
}

TEST_CASE("the same seed gives the same problem") {
    Config c = generate(7);
    CHECK(c.clients == 5);
    CHECK(c.requests == 2);
    CHECK(c.cpu == 3);
    CHECK(c.disk == 3);
    CHECK(c.workers == 5);
    CHECK(c.cpus == 2);
    CHECK(c.fork == 1);
    CHECK(simulate(A::FiniteStateMachine, c).makespan == 33);
    CHECK(simulate(A::ProcessPerConnection, c).makespan == 21);
}

TEST_CASE("ptv servers sim: problem, answers, JSON, trace") {
    using ptv::test::bin;
    using ptv::test::run;
    auto q = run({bin("ptv"), "servers", "sim"});
    REQUIRE(q.status == 0);
    CHECK(q.out.find("4 clients, each sending 5 requests") != std::string::npos);
    CHECK(q.out.find("Run again with -c") != std::string::npos);
    CHECK(q.out.find("303.0") == std::string::npos);  // no answers without -c
    auto a = run({bin("ptv"), "servers", "sim", "-c"});
    REQUIRE(a.status == 0);
    CHECK(a.out.find("303.0") != std::string::npos);
    CHECK(a.out.find("163.9") != std::string::npos);
    CHECK(a.out.find("C3.4") != std::string::npos);
    auto j = run({bin("ptv"), "servers", "sim", "-s", "7", "-c", "--json", "--arch", "fsm"});
    REQUIRE(j.status == 0);
    auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["config"]["clients"] == 5);
    CHECK(doc["architectures"][0]["makespan_ms"] == 33);
    // Options override the seed's problem.
    auto o = run({bin("ptv"), "servers", "sim", "-s", "7", "--clients", "3", "--json"});
    CHECK(nlohmann::json::parse(o.out)["config"]["clients"] == 3);

    ptv::test::TempDir dir;
    auto t = run({bin("ptv"), "servers", "sim", "--trace", dir.file("t.json")});
    REQUIRE(t.status == 0);
    auto trace = ptv::trace::load(dir.file("t.json"));
    CHECK(trace.error.empty());
    int requests = 0, disks = 0;
    for (const auto& ev : trace.events) {
        if (ev.value("cat", "") != "request") continue;
        if (ev.value("name", "") == "request") ++requests;
        if (ev.value("name", "") == "disk") ++disks;
    }
    CHECK(requests == 7 * 20);
    CHECK(disks == 7 * 20);
    CHECK(trace.metadata["tick_us"] == 1000);
}

TEST_CASE("ptv servers sim: bad input is one line and exit 2") {
    using ptv::test::bin;
    using ptv::test::run;
    const std::vector<std::vector<std::string>> bad = {
        {"--clients", "0"},
        {"--clients", "65"},
        {"--cpu", "0"},
        {"--disk", "-1"},
        {"--workers", "0"},
        {"--cpus", "17"},
        {"--requests", "x"},
        {"--arch", "nope"},
        {"-s", "-3"},
        {"--fork", "100000"},
        {"--trace", "/nonexistent-dir/t.json"},
    };
    for (const auto& args : bad) {
        std::vector<std::string> argv = {bin("ptv"), "servers", "sim"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = run(argv);
        INFO(args[0] << " " << args[1] << ": " << r.err);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    CHECK_THROWS_AS(validate(Config{0}), ptv::UsageError);
}

// `ptv servers sim --arch A --dot/--svg/--png`: Fig. 3-3 and the other
// architectures drawn from a model run, with the run's numbers worked by
// hand on the README's example (4 clients x 5 requests, 2 ms CPU + 10 ms
// disk, 1 CPU, K = 2).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "drawing.hpp"
#include "process.hpp"
#include "ptv/servers/sim/drawing.hpp"

using namespace ptv::servers::sim;
using A = ptv::servers::arch::Architecture;
using ptv::test::bin;
using ptv::test::run;

TEST_CASE("queueing and worker loads of the worked example") {
    const Config c;
    // Dispatcher-worker: C0 and C1 get workers 0 and 1 at tick 0; from then
    // on each reply frees a worker for the head of the queue, so worker 0
    // serves the requests done at 12, 24, ... and worker 1 those at 14, 26,
    // ... 122: ten each. Every request but the first two waits: C2 12 ms,
    // C3 14 ms, the other 16 12 ms each (218); never more than 2 wait. C1's
    // first waits 2 ms for the CPU C0 holds.
    const Result dw = simulate(A::DispatcherWorker, c);
    const Queueing q = queueing(dw);
    CHECK(q.waited_for_worker == 18);
    CHECK(q.worker_wait_ms == 218);
    CHECK(q.longest == 2);
    CHECK(q.waited_for_cpu == 1);
    CHECK(q.cpu_wait_ms == 2);
    const auto w = worker_loads(dw, c);
    REQUIRE(w.size() == 2);
    CHECK(w[0].requests == 10);
    CHECK(w[0].held == 120);  // 10 x (2 + 10)
    CHECK(w[1].requests == 10);
    CHECK(w[1].held == 122);  // 14 for C1's first, then 9 x 12
    // Iterative: one thread, turns of 12 ms; C1, C2, C3 wait 12, 24, 36 for
    // their first turn and every later request 36 (three ahead of it).
    const Result it = simulate(A::Iterative, c);
    const Queueing qi = queueing(it);
    CHECK(qi.waited_for_worker == 19);
    CHECK(qi.worker_wait_ms == 12 + 24 + 36 + 16 * 36);
    CHECK(qi.longest == 3);
    const auto wi = worker_loads(it, c);
    REQUIRE(wi.size() == 1);
    CHECK(wi[0].requests == 20);
    CHECK(wi[0].held == 240);
    // fsm: a state per connection, each client's own; C0..C3 finish at
    // 60, 62, 64, 66 (the first CPU bursts queue, then 12 ms cycles).
    const auto wf = worker_loads(simulate(A::FiniteStateMachine, c), c);
    REQUIRE(wf.size() == 4);
    for (int cl = 0; cl < 4; ++cl) {
        CHECK(wf[size_t(cl)].requests == 5);
        CHECK(wf[size_t(cl)].held == 60 + 2 * cl);
    }
}

namespace {

struct Drawn {
    int status;
    std::string err, dot;
    std::vector<std::string> texts;
};

Drawn draw(const std::string& arch) {
    ptv::test::TempDir dir;
    const auto r = run({bin("ptv"), "servers", "sim", "--arch", arch, "--dot", dir.file("s.dot"),
                        "--svg", dir.file("s.svg"), "--png", dir.file("s.png")});
    Drawn d{r.status, r.err, ptv::test::read_file(dir.file("s.dot")), {}};
    if (r.status != 0) return d;
    CHECK(ptv::test::xml_problem(dir.file("s.svg")) == "");
    const std::string svg = ptv::test::read_file(dir.file("s.svg"));
    CHECK(svg.find("<svg") != std::string::npos);
    d.texts = ptv::test::svg_texts(svg);
    for (const auto& line : ptv::test::dot_label_lines(d.dot)) {
        CAPTURE(line);
        CHECK(ptv::test::svg_has_text(d.texts, line));
    }
    const auto png = ptv::test::png_size(ptv::test::read_file(dir.file("s.png")));
    CHECK(png.has_value());
    if (png) CHECK(png->width > 300);
    return d;
}

}  // namespace

TEST_CASE("Fig. 3-3: dispatcher, request queue, workers and disk, with the run's numbers") {
    const Drawn d = draw("dispatcher-worker");
    REQUIRE(d.status == 0);
    const std::vector<std::string> expect = {
        "dispatcher-worker (Fig. 3-3): 4 clients, 5 requests each, 2 ms CPU + 10 ms disk per "
        "request, 2 workers, 1 CPU",
        "last reply at 122 ms, 163.9 requests/s, mean response 23.0 ms",
        "network",
        "4 clients, 20 requests",
        "dispatcher thread",
        "accepts and queues requests",
        "request queue",
        "18 of 20 requests waited",
        "218 ms in all, at most 2 at once",
        "worker thread 0",
        "worker thread 1",
        "served 10 requests",
        "held 120 ms",
        "held 122 ms",
        "1 CPU",
        "utilisation 32.8%",
        "1 request waited 2 ms for one",
        "disk",
        "20 reads of 10 ms, overlapping",
        "10",
    };
    for (const auto& text : expect) {
        CAPTURE(text);
        CHECK(ptv::test::svg_has_text(d.texts, text));
    }
}

TEST_CASE("the other architectures draw their own structure") {
    const Drawn fsm = draw("fsm");
    REQUIRE(fsm.status == 0);
    for (const char* text :
         {"event loop", "one thread, epoll", "state of C0", "state of C3", "served 5 requests",
          "held 60 ms", "held 66 ms", "disk helper threads", "20"}) {
        CAPTURE(text);
        CHECK(ptv::test::svg_has_text(fsm.texts, text));
    }
    CHECK_FALSE(ptv::test::svg_has_text(fsm.texts, "request queue"));
    const Drawn it = draw("iterative");
    REQUIRE(it.status == 0);
    for (const char* text :
         {"listen backlog", "19 of 20 requests waited", "648 ms in all, at most 3 at once",
          "the server thread", "served 20 requests", "held 240 ms"}) {
        CAPTURE(text);
        CHECK(ptv::test::svg_has_text(it.texts, text));
    }
    const Drawn pf = draw("prefork");
    REQUIRE(pf.status == 0);
    CHECK(ptv::test::svg_has_text(pf.texts, "of the shared listening socket"));
    CHECK(ptv::test::svg_has_text(pf.texts, "process 1"));
    CHECK(ptv::test::svg_has_text(pf.texts, "server: 2 processes made in advance"));
    for (const char* arch : {"thread-per-connection", "process-per-connection", "fibers"}) {
        CAPTURE(arch);
        const Drawn d = draw(arch);
        CHECK(d.status == 0);
        CHECK(ptv::test::svg_has_text(d.texts, "served 5 requests"));
    }
}

TEST_CASE("ptv servers sim drawing: bad use is one line and exit 2") {
    ptv::test::TempDir dir;
    auto r = run({bin("ptv"), "servers", "sim", "--svg", dir.file("s.svg")});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err.rfind("ptv: --dot, --svg and --png draw one architecture: add --arch NAME", 0) ==
          0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    r = run({bin("ptv"), "servers", "sim", "--arch", "fsm", "--svg", "/nonexistent-dir/s.svg"});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err ==
          "ptv: --svg /nonexistent-dir/s.svg: cannot open it for writing (No such file or "
          "directory); check the path\n");
    r = run({bin("ptv"), "servers", "sim", "--arch", "fsm", "--svg", dir.file("s.svg")},
            {{"PATH", dir.path}});
    CHECK(r.status == 2);
    CHECK(r.out == "");
    CHECK(r.err == "ptv: --svg " + dir.file("s.svg") +
                       " needs Graphviz's dot; install it with scripts/setup.sh\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("s.svg")));
}

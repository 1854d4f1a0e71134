// Properties over random seeds: what must hold for every workload and every
// model.
#include <doctest/doctest.h>

#include <set>

#include "ptv/threads/sim/report.hpp"
#include "ptv/threads/sim/simulator.hpp"

using namespace ptv::threads::sim;

namespace {

struct Case {
    Config cfg;
    Workload w;
};

// A random problem from the seed: the workload from generate_workload and
// the parameters from the same PRNG.
Case random_case(uint64_t seed, Model m) {
    Rng rng(seed * 7919 + 1);
    Case k;
    k.w = generate_workload(seed, rng.between(1, 6));
    k.cfg.model = m;
    k.cfg.cpus = rng.between(1, 3);
    k.cfg.lwps = rng.between(1, int(k.w.size()));
    k.cfg.costs = Costs{rng.between(0, 2), rng.between(0, 2), rng.between(0, 2)};
    if (m != Model::Activations && rng.between(0, 1)) k.cfg.quantum = rng.between(1, 4);
    return k;
}

constexpr Model kModels[] = {Model::ManyToOne, Model::OneToOne, Model::ManyToMany,
                             Model::Activations};

void check_invariants(const Case& k, const Result& r) {
    int n = int(k.w.size());
    int64_t compute = 0;
    std::vector<int64_t> ran(size_t(n), 0);
    for (int t = 0; t < r.makespan; ++t) {
        // A thread is never RUNNING on two CPUs at once; a CPU runs one thing.
        std::set<int> on_cpu;
        for (size_t c = 0; c < r.cpus.size(); ++c) {
            Cell cell = r.cpus[c].at(t);
            if (cell.state != State::Running) continue;
            REQUIRE(on_cpu.insert(cell.who).second);
            Cell tc = r.threads[size_t(cell.who)].at(t);
            REQUIRE(tc.state == State::Running);
            REQUIRE(tc.who == int(c));
            ran[size_t(cell.who)]++;
            compute++;
        }
        int running = 0;
        for (const auto& tl : r.threads)
            if (tl.at(t).state == State::Running) ++running;
        REQUIRE(running == int(on_cpu.size()));
        // No LWP runs two user threads, and no thread runs on two LWPs.
        std::set<int> on_lwp;
        int lwps_running = 0;
        for (const auto& tl : r.lwps) {
            Cell lc = tl.at(t);
            if (lc.state == State::Running) {
                ++lwps_running;
                REQUIRE(lc.who >= 0);
                REQUIRE(on_lwp.insert(lc.who).second);
            }
        }
        if (k.cfg.model != Model::Activations) {
            REQUIRE(lwps_running <= k.cfg.cpus);
            for (int i : on_cpu) REQUIRE(on_lwp.count(i) == 1);
        }
        // A thread is DONE from its finish tick on, and only then.
        for (int i = 0; i < n; ++i)
            REQUIRE((r.threads[size_t(i)].at(t).state == State::Done) ==
                    (t >= r.finish[size_t(i)]));
    }
    // Total CPU time is conserved.
    int64_t want = 0;
    for (int i = 0; i < n; ++i) {
        want += compute_ticks(k.w[size_t(i)]);
        REQUIRE(ran[size_t(i)] == compute_ticks(k.w[size_t(i)]));
        REQUIRE(r.finish[size_t(i)] >= total_ticks(k.w[size_t(i)]));
        REQUIRE(r.finish[size_t(i)] <= r.makespan);
    }
    REQUIRE(compute == want);
    REQUIRE(r.compute_ticks == want);
    REQUIRE(r.compute_ticks + r.switch_ticks + r.upcall_ticks + r.idle_ticks ==
            int64_t(k.cfg.cpus) * r.makespan);
}

}  // namespace

TEST_CASE("properties over 200 seeds, every model") {
    for (uint64_t seed = 0; seed < 200; ++seed) {
        for (Model m : kModels) {
            Case k = random_case(seed, m);
            std::string model = to_string(m), spec = to_string(k.w);
            CAPTURE(seed);
            CAPTURE(model);
            CAPTURE(spec);
            Result r = simulate(k.cfg, k.w);
            check_invariants(k, r);
        }
    }
}

TEST_CASE("many-to-many with K=1 is many-to-one, with K=N is one-to-one") {
    for (uint64_t seed = 0; seed < 200; ++seed) {
        Case k = random_case(seed, Model::ManyToMany);
        CAPTURE(seed);
        Problem p{k.cfg, k.w, seed, true};
        Problem one = p, many = p;
        p.cfg.lwps = 1;
        one.cfg.model = Model::ManyToOne;
        // The same schedule: finish times, switches and every CPU cell.
        Result ra = simulate(one.cfg, one.workload), rb = simulate(p.cfg, p.workload);
        REQUIRE(ra.finish == rb.finish);
        REQUIRE(ra.switch_ticks == rb.switch_ticks);
        for (int t = 0; t < ra.makespan; ++t)
            for (size_t c = 0; c < ra.cpus.size(); ++c)
                REQUIRE(ra.cpus[c].at(t) == rb.cpus[c].at(t));

        many.cfg.lwps = int(k.w.size());
        Problem kt = many;
        kt.cfg.model = Model::OneToOne;
        Result rc = simulate(many.cfg, many.workload), rd = simulate(kt.cfg, kt.workload);
        REQUIRE(rc.finish == rd.finish);
        for (int t = 0; t < rc.makespan; ++t)
            for (size_t c = 0; c < rc.cpus.size(); ++c)
                REQUIRE(rc.cpus[c].at(t) == rd.cpus[c].at(t));
    }
}

TEST_CASE("the same seed gives the same problem and the same answers") {
    for (uint64_t seed = 0; seed < 200; ++seed) {
        REQUIRE(to_string(generate_workload(seed)) == to_string(generate_workload(seed)));
        Case k = random_case(seed, kModels[seed % 4]);
        Problem p{k.cfg, k.w, seed, true};
        REQUIRE(render_answers(p, simulate(p.cfg, p.workload)) ==
                render_answers(p, simulate(p.cfg, p.workload)));
        REQUIRE(to_json(p, simulate(p.cfg, p.workload), true) ==
                to_json(p, simulate(p.cfg, p.workload), true));
    }
    // Pinned: the generator is the same on every machine (SplitMix64).
    CHECK(Rng(0).next() == 0xe220a8397b1dcdafull);
    // Pinned problems: a change here changes every student's homework.
    CHECK(to_string(generate_workload(1)) == "c1 b2 c4, c4 b5 c1 b6 c4, c3 b8 c5, c4 b7 c3 b3 c5");
    CHECK(to_string(generate_workload(42)) == "c1 b4 c5, c2, c2 b7 c6 b8 c3");
    CHECK(question_ticks(0, 28) == std::vector<int>{9, 10, 21});
    CHECK(question_ticks(5, 2) == std::vector<int>{0, 1});
}

TEST_CASE("parse and print round trip") {
    for (uint64_t seed = 0; seed < 200; ++seed) {
        Workload w = generate_workload(seed);
        REQUIRE(parse_workload(to_string(w)) == w);
    }
    CHECK(parse_workload("c5 b10 c3; c4 ,c2b2c2") ==
          Workload{{{Burst::Compute, 5}, {Burst::Block, 10}, {Burst::Compute, 3}},
                   {{Burst::Compute, 4}},
                   {{Burst::Compute, 2}, {Burst::Block, 2}, {Burst::Compute, 2}}});
}

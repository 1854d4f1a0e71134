// The simulator's exact answers, worked by hand. Unless said otherwise:
// 1000 pages on a 1000 pages/s link, so one page takes exactly 1 ms, and a
// model of RATE pages/s has written floor(t RATE) pages by time t.
#include <doctest/doctest.h>

#include "ptv/common/error.hpp"
#include "ptv/migration/sim/problem.hpp"
#include "ptv/migration/sim/report.hpp"

using namespace ptv::migration::sim;

namespace {

Config config(Policy policy, const std::string& dirty) {
    Config c;
    c.memory_pages = 1000;
    c.bandwidth = 1000;
    c.policy = policy;
    c.dirty = dirty;
    return c;
}

double ms(Time t) {
    return milliseconds(t, 1000);
}

}  // namespace

TEST_CASE("stop-and-copy: everything while paused") {
    // 1000 pages at 1000 pages/s: 1.000 s, all of it downtime.
    auto c = config(Policy::StopAndCopy, "uniform:500");
    c.state_pages = 0;
    Result r = simulate(c, 0);
    CHECK(ms(r.total) == 1000);
    CHECK(ms(r.downtime) == 1000);
    CHECK(r.pages_sent == 1000);
    CHECK(r.rounds.empty());
    // With the state page: 1001 pages.
    c.state_pages = 1;
    CHECK(ms(simulate(c, 0).downtime) == 1001);
}

TEST_CASE("pre-copy, no dirtying: one round and a tiny stop") {
    // Round 1 sends 1000 pages in 1 s; nothing is dirty: Xen stops (0 < 50);
    // the stop-and-copy sends the state page only: 1 ms of downtime.
    Result r = simulate(config(Policy::PreCopy, "idle"), 0);
    REQUIRE(r.rounds.size() == 1);
    CHECK(r.rounds[0].pages_sent == 1000);
    CHECK(r.rounds[0].pages_dirty == 0);
    CHECK(r.rounds[0].reason == "0 dirty pages < 50");
    CHECK(ms(r.downtime) == 1);
    CHECK(ms(r.total) == 1001);
    CHECK(r.pages_sent == 1000);
    CHECK_FALSE(r.plateau);
}

TEST_CASE("pre-copy, a working set that converges (Xen: < 50 dirty)") {
    // wws:200:500: pages 0..199 rewritten round-robin, 500 pages/s.
    // Round 1: 1000 pages, (0, 1000 ms]: 500 writes cover all 200 pages.
    // Round 2: 200 pages, (1000, 1200]: writes 501..600 = 100 -> pages 100..199.
    // Round 3: 100 pages, (1200, 1300]: writes 601..650 = 50 -> pages 0..49;
    //          50 is not < 50: continue.
    // Round 4: 50 pages, (1300, 1350]: 25 writes -> 25 pages < 50: stop.
    // Stop-and-copy: 25 + 1 state page = 26 ms; total 1350 + 26 = 1376 ms;
    // pages 1000 + 200 + 100 + 50 + 25 = 1375.
    Result r = simulate(config(Policy::PreCopy, "wws:200:500"), 0);
    REQUIRE(r.rounds.size() == 4);
    const uint64_t sent[] = {1000, 200, 100, 50}, dirty[] = {200, 100, 50, 25};
    for (size_t i = 0; i < 4; ++i) {
        CHECK(r.rounds[i].pages_sent == sent[i]);
        CHECK(r.rounds[i].pages_dirty == dirty[i]);
        CHECK(ms(r.rounds[i].duration) == double(sent[i]));
        CHECK(r.rounds[i].stop == (i == 3));
    }
    CHECK(ms(r.rounds[3].start) == 1300);
    CHECK(r.rounds[3].reason == "25 dirty pages < 50");
    CHECK(r.stop_copy_pages == 25);
    CHECK(ms(r.paused_at) == 1350);
    CHECK(ms(r.downtime) == 26);
    CHECK(ms(r.total) == 1376);
    CHECK(r.pages_sent == 1375);
    CHECK(r.sent_factor() == doctest::Approx(1.375));
    CHECK_FALSE(r.plateau);  // it halves every round
}

TEST_CASE("pre-copy, a working set rewritten faster than sent: the plateau and Xen's 3x cap") {
    // wws:100:2000: round 1 (1 s) sees 2000 writes: all 100 pages dirty.
    // Every next round sends 100 pages in 100 ms, which sees 200 writes:
    // again all 100 (Clark et al.: the WWS). Total after round n is
    // 1000 + 100 (n - 1), >= 3000 at n = 21: Xen's 3x rule.
    // Stop-and-copy: 100 + 1 pages = 101 ms; total 1000 + 20 x 100 + 101.
    Result r = simulate(config(Policy::PreCopy, "wws:100:2000"), 0);
    REQUIRE(r.rounds.size() == 21);
    for (const auto& rd : r.rounds) CHECK(rd.pages_dirty == 100);
    CHECK(r.rounds.back().reason == "3000 pages sent >= 3x memory");
    CHECK(ms(r.downtime) == 101);
    CHECK(ms(r.total) == 3101);
    CHECK(r.pages_sent == 3100);
    REQUIRE(r.plateau);
    CHECK(r.plateau->first == 1);
    CHECK(r.plateau->second == 100);
    CHECK(plateau_observation(r).find("~100 pages a round") != std::string::npos);
}

TEST_CASE("pre-copy: Xen's 30-round cap") {
    // wws:50:2000: 50 pages dirty after every round (50 is not < 50); the
    // total stays below 3x (1000 + 29 x 50 = 2450), so round 30 ends it.
    // Downtime 51 ms; total 1000 + 29 x 50 + 51 = 2501 ms.
    Result r = simulate(config(Policy::PreCopy, "wws:50:2000"), 0);
    REQUIRE(r.rounds.size() == 30);
    CHECK(r.rounds.back().reason == "30 rounds reached");
    CHECK(ms(r.downtime) == 51);
    CHECK(ms(r.total) == 2501);
    CHECK(r.pages_sent == 2500);
}

TEST_CASE("pre-copy: a policy of one's own plugs into the simulator") {
    // A student's rule: stop after round 2, whatever the numbers. On the
    // working set of the Xen example above (4 rounds there), round 2 leaves
    // 100 pages dirty: stop-and-copy 100 + 1 state page = 101 ms at 1200 ms,
    // total 1301 ms, pages 1000 + 200 + 100 = 1300.
    struct StopAfterTwo : ptv::migration::PreCopyPolicy {
        std::vector<uint32_t> seen;
        std::string why;
        Decision after_round(const ptv::migration::RoundStats& s) override {
            seen.push_back(s.round);
            why = s.round >= 2 ? "two rounds are enough" : "";
            return why.empty() ? Decision::Continue : Decision::StopAndCopy;
        }
        const std::string& reason() const override { return why; }
        std::string name() const override { return "two"; }
        std::string describe() const override { return "stop after 2 rounds"; }
    };
    StopAfterTwo mine;
    Result r = simulate(config(Policy::PreCopy, "wws:200:500"), 0, mine);
    CHECK(mine.seen == std::vector<uint32_t>{1, 2});
    REQUIRE(r.rounds.size() == 2);
    CHECK_FALSE(r.rounds[0].stop);
    CHECK(r.rounds[1].stop);
    CHECK(r.rounds[1].reason == "two rounds are enough");
    CHECK(r.stop_copy_pages == 100);
    CHECK(ms(r.paused_at) == 1200);
    CHECK(ms(r.downtime) == 101);
    CHECK(ms(r.total) == 1301);
    CHECK(r.pages_sent == 1300);
    // The configuration's own policy (Xen) still runs 4 rounds.
    CHECK(simulate(config(Policy::PreCopy, "wws:200:500"), 0).rounds.size() == 4);
}

TEST_CASE("pre-copy: QEMU's downtime rule") {
    // At 1000 pages/s, D dirty pages take D ms: QEMU stops at D <= limit.
    // wws:200:500 (as above): 200 dirty after round 1 fit in 300 ms.
    auto c = config(Policy::PreCopy, "wws:200:500");
    c.stop = "qemu";
    Result r = simulate(c, 0);
    REQUIRE(r.rounds.size() == 1);
    CHECK(r.rounds[0].reason == "200 dirty pages fit in 200.0 ms <= 300 ms downtime limit");
    CHECK(ms(r.downtime) == 201);
    CHECK(ms(r.total) == 1201);
    // A 100 ms limit: round 2 leaves 100 pages = 100 ms.
    c.downtime_limit_ms = 100;
    r = simulate(c, 0);
    REQUIRE(r.rounds.size() == 2);
    CHECK(r.rounds[1].stop);
    CHECK(ms(r.downtime) == 101);
    CHECK(ms(r.total) == 1301);
    // Xen's rules are refused a downtime limit.
    c.stop = "xen";
    CHECK_THROWS_AS(validate(c), ptv::UsageError);
}

TEST_CASE("post-copy: a sweep behind, level with, and ahead of the push") {
    // The push sends page k in (1 + k, 2 + k] ms (after the 1 ms state).
    // sweep:500 reads page j - 1 at 1 + 2j ms: always there. sweep:1000 at
    // 1 + j ms: there just in time. No remote faults; the degraded window is
    // 1000 pages = 1000 ms; each page moves once.
    for (const char* dirty : {"sweep:500", "sweep:1000", "idle"}) {
        Result r = simulate(config(Policy::PostCopy, dirty), 0);
        INFO(std::string(dirty));
        CHECK(ms(r.downtime) == 1);
        CHECK(ms(r.degraded) == 1000);
        CHECK(ms(r.total) == 1001);
        CHECK(r.remote_faults == 0);
        CHECK(r.pages_sent == 1000);
    }
    // sweep:2000 reads page 0 at 1.5 ms while it is on the link: a fault,
    // 0.5 ms of waiting until 2 ms; then page 1 at 2.5 ms, on the link
    // (1 + 1, 1 + 2]: again 0.5 ms. Every page faults once: 1000 faults,
    // 500 ms of stalls; the push never waits, the window stays 1000 ms.
    Result r = simulate(config(Policy::PostCopy, "sweep:2000"), 0);
    CHECK(r.remote_faults == 1000);
    CHECK(ms(r.fault_wait) == 500);
    CHECK(ms(r.degraded) == 1000);
    CHECK(r.faults[0].page == 0);
    CHECK(ms(r.faults[0].at) == 1.5);
}

TEST_CASE("post-copy: demand paging of a working set at the end of memory") {
    // No state page (resume at 0); wws:10:1000:990 touches 990, 991, ...,
    // 999 at 1, 2, ... ms of guest time; latency 200 us.
    // Slot [0,1): push page 0. At 1 ms the guest faults on 990; the request
    // reaches the source at 1.2 ms, after slot [1,2) began (push page 1), so
    // 990 goes in [2,3): a 2 ms stall. The guest's next access comes 1 ms
    // of its own time later, at 4 ms: 991 in [5,6), again 2 ms. Ten faults,
    // 20 ms of stalls; with no latency each waits one slot only: 10 ms.
    auto c = config(Policy::PostCopy, "wws:10:1000:990");
    c.state_pages = 0;
    Result r = simulate(c, 0);
    CHECK(ms(r.downtime) == 0);
    CHECK(r.remote_faults == 10);
    CHECK(ms(r.fault_wait) == 20);
    CHECK(ms(r.faults[1].at) == 4);
    CHECK(r.faults[1].page == 991);
    CHECK(ms(r.degraded) == 1000);
    c.latency_us = 0;
    r = simulate(c, 0);
    CHECK(r.remote_faults == 10);
    CHECK(ms(r.fault_wait) == 10);
}

namespace {

// Pre-paging (Hines & Gopalan, sec. 3): after a fault on p, push p + 1,
// p + 2, ... while they are missing; otherwise page order.
class ForwardFromFault final : public ptv::migration::PostCopyPushPolicy {
  public:
    void on_fault(uint64_t page) override { pivot_ = page + 1; }
    uint64_t next(const ptv::migration::MissingPages& missing) override {
        while (pivot_ < missing.memory_pages() && !missing.missing(pivot_)) ++pivot_;
        if (pivot_ < missing.memory_pages()) return pivot_;
        return order_.next(missing);
    }
    std::string name() const override { return "forward-from-fault"; }

  private:
    uint64_t pivot_ = UINT64_MAX;
    ptv::migration::PageOrderPush order_;
};

// Always page 0: wrong from the second slot on.
class StuckPush final : public ptv::migration::PostCopyPushPolicy {
  public:
    uint64_t next(const ptv::migration::MissingPages&) override { return 0; }
    std::string name() const override { return "stuck"; }
};

}  // namespace

TEST_CASE("post-copy: a push policy of one's own plugs in") {
    // The working set at the end of memory again. Slots [0,1) and [1,2)
    // push pages 0 and 1; the fault on 990 (at 1 ms, known at 1.2 ms) is
    // served in [2,3). From then on the push sends 991, 992, ... one slot
    // ahead of the guest, whose next access comes at 4 ms: one fault, 2 ms
    // of stall, where page order had ten (20 ms).
    auto c = config(Policy::PostCopy, "wws:10:1000:990");
    c.state_pages = 0;
    auto xen = ptv::migration::make_precopy_policy("xen");
    ForwardFromFault push;
    Result r = simulate(c, 0, *xen, push);
    CHECK(r.remote_faults == 1);
    CHECK(ms(r.fault_wait) == 2);
    CHECK(r.faults[0].page == 990);
    CHECK(ms(r.degraded) == 1000);
    CHECK(r.pages_sent == 1000);
    // The default is page order: simulate() without a push says the same
    // as with a PageOrderPush.
    ptv::migration::PageOrderPush order;
    Result d = simulate(c, 0, *xen, order);
    CHECK(d.remote_faults == simulate(c, 0).remote_faults);
    CHECK(d.remote_faults == 10);
    // A push that picks a page already there is refused, naming it.
    StuckPush stuck;
    CHECK_THROWS_WITH_AS(simulate(c, 0, *xen, stuck),
                         "the post-copy push 'stuck' chose page 0, which is on the destination "
                         "already",
                         std::logic_error);
}

TEST_CASE("hybrid: one pre-copy round, then post-copy of what it left dirty") {
    // Round 1 as before (1000 pages, 200 dirty); pause at 1000 ms, state
    // 1 ms, resume at 1001 ms; the 200 dirty pages are pulled in 200 ms.
    Result r = simulate(config(Policy::Hybrid, "wws:200:500"), 0);
    REQUIRE(r.rounds.size() == 1);
    CHECK(r.rounds[0].reason == "hybrid: 1 pre-copy round, then post-copy");
    CHECK(ms(r.paused_at) == 1000);
    CHECK(ms(r.downtime) == 1);
    CHECK(r.postcopy_pages == 200);
    CHECK(ms(r.degraded) == 200);
    CHECK(ms(r.total) == 1201);
    CHECK(r.pages_sent == 1200);  // each page once after round 1
    CHECK(r.remote_faults > 0);
    CHECK(r.remote_faults <= 200);
    // The policy may stop before the hybrid's cap: idle converges at once.
    auto c = config(Policy::Hybrid, "idle");
    c.hybrid_rounds = 5;
    r = simulate(c, 0);
    REQUIRE(r.rounds.size() == 1);
    CHECK(r.rounds[0].reason == "0 dirty pages < 50");
    CHECK(r.postcopy_pages == 0);
    CHECK(r.degraded == 0);
}

TEST_CASE("properties on 200 seeds: each page once in post-copy, time adds up") {
    for (uint64_t seed = 0; seed < 200; ++seed) {
        Config c = generate(seed);
        INFO("seed " << seed << " " << to_string(c.policy) << " " << c.dirty);
        Result r = simulate(c, seed);
        CHECK(r.total >= r.downtime);
        CHECK(r.resumed_at == r.paused_at + r.downtime);
        if (c.policy == Policy::PostCopy) CHECK(r.pages_sent == c.memory_pages);
        if (c.policy == Policy::PostCopy || c.policy == Policy::Hybrid) {
            CHECK(r.degraded == Time(r.postcopy_pages) * kPageTime);
            CHECK(r.remote_faults <= r.postcopy_pages);
            CHECK(r.total == r.resumed_at + r.degraded);
        } else {
            CHECK(r.total == r.resumed_at);
        }
        if (!r.rounds.empty()) {
            CHECK(r.rounds[0].pages_sent == c.memory_pages);
            for (size_t i = 1; i < r.rounds.size(); ++i)
                CHECK(r.rounds[i].pages_sent == r.rounds[i - 1].pages_dirty);
            CHECK(r.rounds.back().stop);
            CHECK(r.rounds.size() <= 30);
        }
    }
}

TEST_CASE("the same seed gives the same problem and answers") {
    CHECK(to_json({generate(7), 7, true}, simulate(generate(7), 7), true) ==
          to_json({generate(7), 7, true}, simulate(generate(7), 7), true));
    // A random model: the seed changes the answers.
    auto c = config(Policy::PreCopy, "uniform:300");
    CHECK(simulate(c, 1).rounds[1].pages_dirty == simulate(c, 1).rounds[1].pages_dirty);
    bool differ = false;
    for (uint64_t s = 2; s < 6 && !differ; ++s)
        differ = simulate(c, 1).rounds[0].pages_dirty != simulate(c, s).rounds[0].pages_dirty;
    CHECK(differ);
    int policies[4] = {};
    for (uint64_t s = 0; s < 40; ++s) ++policies[int(generate(s).policy)];
    for (int n : policies) CHECK(n > 0);
}

#include "precopy_check.hpp"

#include <fmt/format.h>

namespace ptv::lab::migration {

namespace sim = ptv::migration::sim;
using ptv::migration::PreCopyPolicy;

namespace {

// Far beyond any max_rounds of the lab: a policy still going here would
// go on for ever.
constexpr uint32_t kRunaway = 200;

bool fits(uint64_t dirty, uint64_t bandwidth, double limit_s) {
    // The expression of rules::fits_downtime, at the simulator's exact
    // bandwidth.
    return double(dirty * ptv::migration::kPageSize) /
               double(bandwidth * ptv::migration::kPageSize) <=
           limit_s;
}

// Pre-copy to max_rounds, never stopping before: the rounds every policy
// sees until it stops.
class RunToCap final : public PreCopyPolicy {
  public:
    explicit RunToCap(uint32_t cap) : cap_(cap) {}
    Decision after_round(const RoundStats& s) override {
        dirty.push_back(s.pages_dirty);
        sent.push_back(s.pages_sent);
        return s.round >= cap_ ? Decision::StopAndCopy : Decision::Continue;
    }
    const std::string& reason() const override { return reason_; }
    std::string name() const override { return "run-to-cap"; }
    std::string describe() const override { return "runs to the round cap"; }
    std::vector<uint64_t> dirty, sent;

  private:
    uint32_t cap_;
    std::string reason_ = "the round cap";
};

// The student's policy, watched: a policy that never stops is stopped here
// with a failure, and a stop must say why.
class Watched final : public PreCopyPolicy {
  public:
    Watched(PreCopyPolicy& inner, uint32_t max_rounds) : inner_(inner), max_(max_rounds) {}
    Decision after_round(const RoundStats& s) override {
        if (s.round > kRunaway)
            throw Failure(fmt::format(
                "your policy was still going after {} rounds (max_rounds {}), with {} pages "
                "dirty: a migration whose guest dirties pages faster than the link sends them "
                "must stop anyway",
                kRunaway, max_, s.pages_dirty));
        const Decision d = inner_.after_round(s);
        if (d == Decision::StopAndCopy && inner_.reason().empty())
            throw Failure(fmt::format(
                "your policy stopped after round {} with an empty reason(): say which rule fired",
                s.round));
        return d;
    }
    const std::string& reason() const override { return inner_.reason(); }
    std::string name() const override { return inner_.name(); }
    std::string describe() const override { return inner_.describe(); }

  private:
    PreCopyPolicy& inner_;
    uint32_t max_;
};

double ms(sim::Time t, uint64_t bandwidth) {
    return sim::milliseconds(t, bandwidth);
}

std::string rounds_table(const sim::Result& r) {
    std::string s = "  round   sent   dirty   decision\n";
    for (const sim::Round& x : r.rounds)
        s += fmt::format("  {:5} {:6} {:7}   {}\n", x.round, x.pages_sent, x.pages_dirty,
                         x.stop ? "stop: " + x.reason : "continue");
    s += fmt::format("  stop-and-copy {} pages: downtime {:.3f} ms, total {:.3f} ms, {} pages\n",
                     r.stop_copy_pages, ms(r.downtime, r.cfg.bandwidth),
                     ms(r.total, r.cfg.bandwidth), r.pages_sent);
    return s;
}

}  // namespace

sim::Config PreCopyProblem::config() const {
    sim::Config c;
    c.memory_pages = memory_pages;
    c.bandwidth = bandwidth;
    c.dirty = dirty;
    c.policy = sim::Policy::PreCopy;
    c.state_pages = 0;  // the downtime is the dirty pages alone
    return c;
}

std::string PreCopyProblem::command() const {
    return fmt::format(
        "ptv migrate sim --memory {} --bandwidth {} --dirty {} --state-pages 0 -c; goals: "
        "downtime limit {} ms, at most {} rounds",
        memory_pages, bandwidth, dirty, downtime_limit_ms, max_rounds);
}

BestStop best_stop(const PreCopyProblem& p) {
    RunToCap cap(p.max_rounds);
    sim::simulate(p.config(), 0, cap);
    BestStop b;
    b.dirty_per_round = cap.dirty;
    const double limit = double(p.downtime_limit_ms) / 1e3;
    uint64_t sent = 0;
    for (size_t i = 0; i < cap.dirty.size(); ++i) {
        const uint32_t n = uint32_t(i + 1);
        sent += cap.sent[i];
        const uint64_t d = cap.dirty[i];
        if (fits(d, p.bandwidth, limit))
            b.why = fmt::format("its {} dirty pages fit the {} ms limit", d, p.downtime_limit_ms);
        else if (i > 0 && d >= cap.dirty[i - 1])
            b.why = fmt::format("its dirty set ({} pages) did not shrink from round {}'s ({})", d,
                                n - 1, cap.dirty[i - 1]);
        else if (n == p.max_rounds)
            b.why = fmt::format("max_rounds is {}", p.max_rounds);
        else
            continue;
        b.round = n;
        b.dirty = d;
        b.pages = sent + d;
        b.meets_limit = fits(d, p.bandwidth, limit);
        return b;
    }
    throw Failure("the harness found no stop (a kit bug)");
}

void avoid_ties(PreCopyProblem& p) {
    for (int tries = 0; tries < 1000; ++tries) {
        bool tie = false;
        for (uint64_t d : best_stop(p).dirty_per_round)
            tie |= d * 1000 == p.downtime_limit_ms * p.bandwidth;
        if (!tie) return;
        ++p.downtime_limit_ms;
    }
}

sim::Result check_precopy(Context& ctx, const PreCopyProblem& p) {
    const BestStop best = best_stop(p);
    std::unique_ptr<PreCopyPolicy> policy = make_lab_precopy_policy(p.goals());
    expect(policy != nullptr, "make_lab_precopy_policy returned no policy");
    Watched watched(*policy, p.max_rounds);
    const sim::Result r = sim::simulate(p.config(), 0, watched);
    std::printf("%s\n  %s\n%s", p.about.c_str(), p.command().c_str(), rounds_table(r).c_str());
    std::printf("  best stop: after round %u (%s): %llu pages, downtime %.3f ms\n\n", best.round,
                best.why.c_str(), (unsigned long long)best.pages,
                double(best.dirty) * 1e3 / double(p.bandwidth));
    const uint32_t rounds = uint32_t(r.rounds.size());
    const double downtime = ms(r.downtime, p.bandwidth);
    ctx.measure("rounds", rounds);
    ctx.measure("downtime_ms", downtime);
    ctx.measure("total_ms", ms(r.total, p.bandwidth));
    ctx.measure("pages", double(r.pages_sent));
    const std::string where = p.about + " (" + p.dirty + ")";
    expect(rounds <= p.max_rounds,
           fmt::format("{}: {} pre-copy rounds; the goals allow at most {} (max_rounds)", where,
                       rounds, p.max_rounds));
    if (best.meets_limit)
        expect(downtime <= double(p.downtime_limit_ms),
               fmt::format("{}: downtime {:.3f} ms is over the {} ms limit, which stopping after "
                           "round {} meets ({} dirty pages)",
                           where, downtime, p.downtime_limit_ms, best.round, best.dirty));
    expect(r.pages_sent <= best.pages,
           fmt::format("{}: {} pages sent ({:.3f} ms in all), {} more than stopping after round {} "
                       "({})",
                       where, r.pages_sent, ms(r.total, p.bandwidth), r.pages_sent - best.pages,
                       best.round, best.why));
    return r;
}

void check_precopy_all(Context& ctx, const std::vector<PreCopyProblem>& problems) {
    std::string input;
    for (const PreCopyProblem& p : problems)
        input += (input.empty() ? "" : "\n") + p.about + ": " + p.command();
    ctx.input(input);
    for (const PreCopyProblem& p : problems) check_precopy(ctx, p);
}

}  // namespace ptv::lab::migration

// Problem, answers, JSON and trace of `ptv migrate sim` (see report.hpp).
#include "ptv/migration/sim/report.hpp"

#include <fmt/format.h>

#include "ptv/common/table.hpp"

namespace ptv::migration::sim {

namespace {

bool has_rounds(Policy p) {
    return p == Policy::PreCopy || p == Policy::Hybrid;
}
bool has_postcopy(Policy p) {
    return p == Policy::PostCopy || p == Policy::Hybrid;
}

double ms_of(Time t, const Config& c) {
    return milliseconds(t, c.bandwidth);
}
std::string ms(Time t, const Config& c) {
    return fmt::format("{:.3f} ms", ms_of(t, c));
}

std::string policy_words(const Config& c) {
    const std::string rules = make_policy(c)->describe();
    switch (c.policy) {
        case Policy::PreCopy:
            return "pre-copy (Clark et al. 2005): round 1 sends all memory, each next round "
                   "the pages dirtied during the previous one; then stop-and-copy.\n"
                   "Pre-copy stops by " +
                   rules + ".";
        case Policy::StopAndCopy:
            return "stop-and-copy: the guest is paused at once and all memory is sent.";
        case Policy::PostCopy:
            return fmt::format(
                "post-copy (Hines & Gopalan 2009): pause, send the CPU state, resume on the "
                "destination;\nthen a background push sends every page once in page order, "
                "while an access to a page not yet there\nis a remote fault: the request takes "
                "{} us to reach the source, the page goes next on the link.",
                c.latency_us);
        case Policy::Hybrid:
            return fmt::format(
                "hybrid (Hines & Gopalan 2009): at most {} pre-copy round{} (stopping earlier "
                "by {}),\nthen pause, send the CPU state, resume on the destination, and "
                "post-copy what the last round left dirty\n(remote faults: {} us to reach the "
                "source, the page goes next on the link).",
                c.hybrid_rounds, c.hybrid_rounds == 1 ? "" : "s", rules, c.latency_us);
    }
    return "";
}

}  // namespace

std::string render_problem(const Problem& p) {
    const Config& c = p.cfg;
    std::string s =
        "Live migration (ch. 3.5): a deterministic simulator; pages of 4 KiB, one at a time "
        "on the link.\n";
    if (p.generated) s += fmt::format("Problem of seed {}.\n", p.seed);
    s += fmt::format(
        "A VM of {} pages ({:.1f} MiB) migrates over a link of {} pages/s ({:.1f} MB/s): one "
        "page takes {}.\n",
        c.memory_pages, double(c.memory_pages * kPageSize) / 1048576.0, c.bandwidth,
        double(c.bandwidth * kPageSize) / 1e6, ms(kPageTime, c));
    s += fmt::format("The guest writes: {} (--dirty {}).\n", DirtyModel::parse(c.dirty).describe(),
                     c.dirty);
    s += fmt::format("Policy: {}\n", policy_words(c));
    s += fmt::format("The CPU and device state is {} page{}, sent while the guest is paused.\n",
                     c.state_pages, c.state_pages == 1 ? "" : "s");
    s += "\nQuestions:\n";
    int n = 0;
    if (has_rounds(c.policy)) {
        s += fmt::format(
            "  {}. How many pages does each pre-copy round send, and how many are dirtied "
            "during it?\n",
            ++n);
        s += fmt::format("  {}. After which round does pre-copy stop, and why?\n", ++n);
    }
    s += fmt::format(
        "  {}. What is the downtime (the guest paused), and the total time until "
        "every page is on the destination?\n",
        ++n);
    s += fmt::format("  {}. How many pages are sent in all, as a multiple of memory?\n", ++n);
    if (has_postcopy(c.policy))
        s += fmt::format(
            "  {}. How long is the degraded window (from the resume until the last "
            "page arrives), how many remote faults\n     does the guest take, and "
            "how long does it stall on them in all?\n",
            ++n);
    return s;
}

std::string plateau_observation(const Result& r) {
    if (!r.plateau) return "";
    const auto [round, pages] = *r.plateau;
    return fmt::format(
        "Observation: from round {} on the dirty set stopped shrinking (~{} pages a round, "
        "{:.1f}% of memory): the writable working set, rewritten faster than it is sent; more "
        "rounds only resend it (Clark et al. 2005).\n",
        round, pages, 100.0 * double(pages) / double(r.cfg.memory_pages));
}

std::string render_answers(const Problem& p, const Result& r) {
    const Config& c = p.cfg;
    std::string s = render_problem(p) + "\nAnswers:\n";
    {
        Table t(
            {"round", "start (ms)", "duration (ms)", "pages sent", "pages dirtied", "decision"});
        t.right_align({0, 1, 2, 3, 4});
        for (const auto& rd : r.rounds)
            t.row({std::to_string(rd.round), fmt::format("{:.3f}", ms_of(rd.start, c)),
                   fmt::format("{:.3f}", ms_of(rd.duration, c)), std::to_string(rd.pages_sent),
                   std::to_string(rd.pages_dirty),
                   rd.stop ? "stop: " + rd.reason : std::string("continue")});
        if (c.policy == Policy::PreCopy || c.policy == Policy::StopAndCopy) {
            if (!r.rounds.empty()) t.rule();
            t.row({"paused", fmt::format("{:.3f}", ms_of(r.paused_at, c)),
                   fmt::format("{:.3f}", ms_of(r.downtime, c)),
                   fmt::format("{}+{}", r.stop_copy_pages, c.state_pages), "-",
                   "stop-and-copy (+ state)"});
        } else {
            if (!r.rounds.empty()) t.rule();
            t.row({"paused", fmt::format("{:.3f}", ms_of(r.paused_at, c)),
                   fmt::format("{:.3f}", ms_of(r.downtime, c)), fmt::format("0+{}", c.state_pages),
                   "-", "state only, then resume"});
            t.row({"post-copy", fmt::format("{:.3f}", ms_of(r.resumed_at, c)),
                   fmt::format("{:.3f}", ms_of(r.degraded, c)), std::to_string(r.postcopy_pages),
                   "-", fmt::format("{} remote faults", r.remote_faults)});
        }
        s += t.render();
    }
    if (!r.rounds.empty())
        s += fmt::format("Pre-copy: {} round{}; stopped after round {}: {}.\n", r.rounds.size(),
                         r.rounds.size() == 1 ? "" : "s", r.rounds.back().round,
                         r.rounds.back().reason);
    s += fmt::format("Downtime: {} ({} pages + {} state page{} while paused).\n", ms(r.downtime, c),
                     r.stop_copy_pages, c.state_pages, c.state_pages == 1 ? "" : "s");
    s += fmt::format("Total time: {} (start until every page is on the destination).\n",
                     ms(r.total, c));
    s += fmt::format("Pages sent: {} = {:.3f}x memory (state not counted).\n", r.pages_sent,
                     r.sent_factor());
    if (has_postcopy(c.policy)) {
        s += fmt::format(
            "Degraded window: {} ({} pages pulled after the resume); remote faults: {}; the "
            "guest stalled {} on them",
            ms(r.degraded, c), r.postcopy_pages, r.remote_faults, ms(r.fault_wait, c));
        s += r.remote_faults
                 ? fmt::format(" (mean {}).\n", ms(r.fault_wait / Time(r.remote_faults), c))
                 : ".\n";
    }
    s += plateau_observation(r);
    return s;
}

nlohmann::json to_json(const Problem& p, const Result& r, bool answers) {
    const Config& c = p.cfg;
    nlohmann::json j = {{"seed", p.seed},
                        {"generated", p.generated},
                        {"config",
                         {{"memory_pages", c.memory_pages},
                          {"bandwidth_pages_per_s", c.bandwidth},
                          {"dirty", c.dirty},
                          {"policy", to_string(c.policy)},
                          {"stop", c.stop},
                          {"downtime_limit_ms", c.downtime_limit_ms},
                          {"state_pages", c.state_pages},
                          {"latency_us", c.latency_us},
                          {"hybrid_rounds", c.hybrid_rounds}}}};
    if (!answers) return j;
    nlohmann::json rounds = nlohmann::json::array();
    for (const auto& rd : r.rounds)
        rounds.push_back({{"round", rd.round},
                          {"start_ms", ms_of(rd.start, c)},
                          {"duration_ms", ms_of(rd.duration, c)},
                          {"pages_sent", rd.pages_sent},
                          {"pages_dirtied", rd.pages_dirty},
                          {"decision", rd.stop ? "stop" : "continue"},
                          {"reason", rd.reason}});
    nlohmann::json a = {{"rounds", rounds},
                        {"paused_at_ms", ms_of(r.paused_at, c)},
                        {"stop_copy_pages", r.stop_copy_pages},
                        {"downtime_ms", ms_of(r.downtime, c)},
                        {"resumed_at_ms", ms_of(r.resumed_at, c)},
                        {"total_ms", ms_of(r.total, c)},
                        {"pages_sent", r.pages_sent},
                        {"sent_factor", r.sent_factor()},
                        {"stop_reason", r.rounds.empty() ? "" : r.rounds.back().reason},
                        {"plateau", nullptr}};
    if (r.plateau) a["plateau"] = {{"from_round", r.plateau->first}, {"pages", r.plateau->second}};
    if (has_postcopy(c.policy))
        a["postcopy"] = {{"pages", r.postcopy_pages},
                         {"degraded_ms", ms_of(r.degraded, c)},
                         {"remote_faults", r.remote_faults},
                         {"fault_wait_ms", ms_of(r.fault_wait, c)}};
    j["answers"] = a;
    return j;
}

void write_trace(trace::TraceWriter& tw, const Problem& p, const Result& r) {
    const Config& c = p.cfg;
    auto us = [&](Time t) { return microseconds(t, c.bandwidth); };
    constexpr int kPid = 1, kSource = 1, kGuest = 2;
    tw.process_name(kPid, fmt::format("migration sim: {}", to_string(c.policy)));
    tw.thread_name(kPid, kSource, "source: pages sent");
    tw.thread_name(kPid, kGuest, "guest");
    for (const auto& rd : r.rounds)
        tw.complete("migration", "round", kPid, kSource, us(rd.start), us(rd.duration),
                    {{"round", rd.round},
                     {"pages_sent", rd.pages_sent},
                     {"pages_dirtied", rd.pages_dirty},
                     {"decision", rd.stop ? "stop: " + rd.reason : "continue"}});
    if (c.policy == Policy::PreCopy || c.policy == Policy::StopAndCopy)
        tw.complete("migration", "stop-and-copy", kPid, kSource, us(r.paused_at), us(r.downtime),
                    {{"round", r.rounds.size() + 1},
                     {"pages_sent", r.stop_copy_pages},
                     {"pages_dirtied", 0},
                     {"state_pages", c.state_pages}});
    tw.complete("migration", "downtime", kPid, kGuest, us(r.paused_at), us(r.downtime),
                {{"pages_sent", r.stop_copy_pages}, {"state_pages", c.state_pages}});
    if (has_postcopy(c.policy)) {
        tw.complete("migration", "degraded", kPid, kGuest, us(r.resumed_at), us(r.degraded),
                    {{"pages", r.postcopy_pages},
                     {"remote_faults", r.remote_faults},
                     {"fault_wait_us", us(r.fault_wait)}});
        for (const auto& f : r.faults)
            tw.instant("migration", "remote-fault", kPid, kGuest, us(f.at),
                       {{"page", f.page}, {"wait_us", us(f.wait)}});
    }
    tw.metadata("simulation", to_json(p, r, true));
}

}  // namespace ptv::migration::sim

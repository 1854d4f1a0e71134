// Problem, answers, JSON and trace of `ptv servers sim` (see report.hpp).
#include "ptv/servers/sim/report.hpp"

#include <fmt/format.h>

#include <map>

#include "ptv/common/rng.hpp"
#include "ptv/common/table.hpp"

namespace ptv::servers::sim {

Question question(const Problem& p) {
    // The generator's first step on a shifted seed: apart from its stream.
    const uint64_t z = SplitMix64(p.seed + 0x51ed270b27e2c0dfull).next();
    Question q;
    q.arch = p.archs[z % p.archs.size()];
    q.client = int((z >> 32) % uint64_t(p.cfg.clients));
    return q;
}

namespace {

std::string describe(const Config& c) {
    return fmt::format(
        "{} client{}, each sending {} request{} one after the other{}.\n"
        "Each request needs {} ms of CPU, then {}.\n"
        "The server machine has {} CPU{}. dispatcher-worker and prefork have K = {} worker{}; "
        "a fork costs {} ms of CPU.\n",
        c.clients, c.clients == 1 ? "" : "s", c.requests, c.requests == 1 ? "" : "s",
        c.think ? fmt::format(" ({} ms between a reply and the next request)", c.think) : "", c.cpu,
        c.disk ? fmt::format("a {} ms disk read (reads overlap: the disk is a delay)", c.disk)
               : "no disk read (everything is cached)",
        c.cpus, c.cpus == 1 ? "" : "s", c.workers, c.workers == 1 ? "" : "s", c.fork);
}

std::string slots_text(const Result& r, const Config& c) {
    if (r.shape.slots == c.clients &&
        (r.arch == Architecture::ThreadPerConnection ||
         r.arch == Architecture::ProcessPerConnection ||
         r.arch == Architecture::FiniteStateMachine || r.arch == Architecture::Fibers))
        return "one per client";
    return std::to_string(r.shape.slots);
}

}  // namespace

std::string render_problem(const Problem& p) {
    std::string s =
        "Server architectures (ch. 3.3, Fig. 3-3): a discrete-event model, 1 tick = 1 ms.\n";
    if (p.generated) s += fmt::format("Problem of seed {}.\n", p.seed);
    s += describe(p.cfg);
    s += "Architectures:";
    for (auto a : p.archs) s += fmt::format(" {}", arch::to_string(a));
    s += "\n\nQuestions:\n";
    Question q = question(p);
    s += "  1. What throughput (requests per second: all requests / the time the last reply "
         "is sent) does each architecture reach?\n";
    s += fmt::format("  2. Under {}, when (in ms) does client C{}'s last request complete?\n",
                     arch::to_string(q.arch), q.client);
    s += "  3. Which architectures reach the same throughput, and why?\n";
    return s;
}

std::string render_requests(const Result& r) {
    Table t({"request", "arrive", "got worker", "CPU", "on CPU", "disk", "reply", "response"});
    t.right_align({1, 2, 3, 4, 5, 6, 7});
    for (const auto& q : r.requests)
        t.row({fmt::format("C{}.{}", q.client, q.index), std::to_string(q.arrive),
               std::to_string(q.slot), std::to_string(q.cpu),
               fmt::format("{}-{}", q.cpu_start, q.cpu_end),
               q.done > q.cpu_end ? fmt::format("{}-{}", q.cpu_end, q.done) : "-",
               std::to_string(q.done), std::to_string(q.response())});
    return t.render();
}

std::string render_answers(const Problem& p, const std::vector<Result>& results) {
    std::string s = render_problem(p);
    s += "\nAnswers:\n";
    Table t({"architecture", "slots", "CPUs used", "last reply (ms)", "throughput (req/s)",
             "mean response (ms)", "CPU utilisation"});
    t.right_align({1, 2, 3, 4, 5, 6});
    for (const auto& r : results)
        t.row({std::string(arch::to_string(r.arch)), slots_text(r, p.cfg),
               std::to_string(r.shape.cpus), std::to_string(r.makespan),
               fmt::format("{:.1f}", r.throughput()), fmt::format("{:.1f}", r.mean_response()),
               fmt::format("{:.1f}%", 100 * r.utilisation())});
    s += t.render();
    Question q = question(p);
    for (const auto& r : results)
        if (r.arch == q.arch)
            s += fmt::format("  2. Client C{}'s last request completes at {} ms.\n", q.client,
                             r.last_done(q.client));
    // 3: groups with the same makespan.
    std::map<int, std::vector<std::string>> same;
    for (const auto& r : results) same[r.makespan].push_back(std::string(arch::to_string(r.arch)));
    s += "  3. Equal throughput:";
    bool any = false;
    for (const auto& [makespan, names] : same) {
        if (names.size() < 2) continue;
        any = true;
        s += " {";
        for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
        s += "}";
    }
    s += any ? "" : " none";
    s += " -- equal slots and usable CPUs give equal answers (see README.md).\n";
    for (const auto& r : results) {
        s += fmt::format("\n{}: {}\n", arch::to_string(r.arch), arch::describe(r.arch));
        s += render_requests(r);
    }
    return s;
}

nlohmann::json to_json(const Problem& p, const std::vector<Result>& results, bool answers) {
    const Config& c = p.cfg;
    Question q = question(p);
    nlohmann::json j = {
        {"seed", p.seed},
        {"generated", p.generated},
        {"config",
         {{"clients", c.clients},
          {"requests", c.requests},
          {"cpu_ms", c.cpu},
          {"disk_ms", c.disk},
          {"think_ms", c.think},
          {"workers", c.workers},
          {"cpus", c.cpus},
          {"fork_ms", c.fork}}},
        {"question",
         {{"architecture", std::string(arch::to_string(q.arch))}, {"client", q.client}}},
    };
    j["architectures"] = nlohmann::json::array();
    for (const auto& r : results) {
        nlohmann::json a = {{"architecture", std::string(arch::to_string(r.arch))}};
        if (answers) {
            a["slots"] = r.shape.slots;
            a["cpus_used"] = r.shape.cpus;
            a["makespan_ms"] = r.makespan;
            a["throughput_rps"] = r.throughput();
            a["mean_response_ms"] = r.mean_response();
            a["utilisation"] = r.utilisation();
            a["requests"] = nlohmann::json::array();
            for (const auto& rq : r.requests)
                a["requests"].push_back({{"client", rq.client},
                                         {"index", rq.index},
                                         {"arrive", rq.arrive},
                                         {"slot", rq.slot},
                                         {"cpu", rq.cpu},
                                         {"cpu_start", rq.cpu_start},
                                         {"cpu_end", rq.cpu_end},
                                         {"done", rq.done}});
        }
        j["architectures"].push_back(a);
    }
    return j;
}

void write_trace(trace::TraceWriter& tw, const Problem& p, const std::vector<Result>& results) {
    constexpr double kTickUs = 1000;
    for (size_t i = 0; i < results.size(); ++i) {
        const Result& r = results[i];
        const int pid = int(i) + 1;
        tw.process_name(pid, fmt::format("servers sim: {}", arch::to_string(r.arch)));
        for (int cl = 0; cl < p.cfg.clients; ++cl)
            tw.thread_name(pid, cl + 1, fmt::format("client C{}", cl));
        for (const auto& q : r.requests) {
            const int tid = q.client + 1;
            tw.complete("request", "request", pid, tid, q.arrive * kTickUs, q.response() * kTickUs,
                        {{"request", fmt::format("C{}.{}", q.client, q.index)}, {"cpu", q.cpu}});
            if (q.cpu_start > q.arrive)
                tw.complete("request", "queueing", pid, tid, q.arrive * kTickUs,
                            (q.cpu_start - q.arrive) * kTickUs,
                            {{"waiting_for_worker_ms", q.slot - q.arrive},
                             {"waiting_for_cpu_ms", q.cpu_start - q.slot}});
            tw.complete("request", "cpu", pid, tid, q.cpu_start * kTickUs,
                        (q.cpu_end - q.cpu_start) * kTickUs);
            if (q.done > q.cpu_end)
                tw.complete("request", "disk", pid, tid, q.cpu_end * kTickUs,
                            (q.done - q.cpu_end) * kTickUs);
        }
    }
    tw.metadata("simulation", to_json(p, results, false));
    tw.metadata("tick_us", kTickUs);
}

}  // namespace ptv::servers::sim

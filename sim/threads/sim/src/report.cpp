// The problem, answers, JSON, trace and Graphviz of `ptv threads sim`.
#include "ptv/threads/sim/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/common/trace.hpp"

namespace ptv::threads::sim {

namespace {

const char* model_blurb(Model m) {
    switch (m) {
        case Model::ManyToOne:
            return "user-level threads: all user threads on ONE kernel entity; a blocking "
                   "system call blocks them all";
        case Model::OneToOne:
            return "kernel threads: one kernel thread per user thread, scheduled by the kernel";
        case Model::ManyToMany:
            return "lightweight processes (Fig. 3-2): N user threads over K LWPs over P CPUs; "
                   "an LWP blocks with its thread";
        case Model::Activations:
            return "scheduler activations (Anderson et al. 1992): a block or unblock is an "
                   "upcall to the user-level scheduler";
    }
    return "";
}

std::string entities(const Problem& p) {
    int k = kernel_entities(p.cfg, p.workload);
    switch (p.cfg.model) {
        case Model::ManyToOne:
            return "1 kernel entity (the process)";
        case Model::OneToOne:
            return fmt::format("{} kernel threads", k);
        case Model::ManyToMany:
            return fmt::format("{} LWPs", k);
        case Model::Activations:
            return fmt::format("{} virtual processors", p.cfg.cpus);
    }
    return "";
}

std::string percent(double u) {
    return fmt::format("{:.1f}%", 100.0 * u);
}

std::string ticks_list(const std::vector<int>& ts) {
    std::string s;
    for (size_t k = 0; k < ts.size(); ++k) {
        if (k) s += k + 1 == ts.size() ? " and " : ", ";
        s += std::to_string(ts[k]);
    }
    return s;
}

}  // namespace

std::vector<int> question_ticks(uint64_t seed, int makespan, int count) {
    Rng rng(seed ^ 0x7175657374696f6eull);  // "question": apart from the workload's stream
    std::set<int> ts;
    int want = std::min(count, makespan);
    while (int(ts.size()) < want) ts.insert(rng.between(0, makespan - 1));
    return {ts.begin(), ts.end()};
}

std::string cpu_cell(Cell c) {
    if (c.state == State::Running) return fmt::format("U{}", c.who);
    return to_string(c.state);
}

std::string lwp_cell(Cell c) {
    if (c.who < 0) return to_string(c.state);
    return fmt::format("{} U{}", to_string(c.state), c.who);
}

std::string render_problem(const Problem& p, const Result& r) {
    const Config& c = p.cfg;
    std::string s;
    s += fmt::format("Model: {} -- {}\n", to_string(c.model), model_blurb(c.model));
    s += fmt::format("Parameters: {} user threads, {}, {} CPU{}\n", p.workload.size(), entities(p),
                     c.cpus, c.cpus == 1 ? "" : "s");
    s += fmt::format("Costs (ticks): user switch {}, kernel switch {}, upcall {}; quantum {}\n",
                     c.costs.user, c.costs.kernel, c.costs.upcall,
                     c.quantum ? std::to_string(c.quantum) : std::string("none"));
    s += fmt::format("Seed: {}{}\n", p.seed, p.generated ? " (workload generated from it)" : "");
    s += "\nWorkload (cN = compute N ticks, bN = block in a system call N ticks):\n";
    for (size_t i = 0; i < p.workload.size(); ++i)
        s += fmt::format("  U{}: {}\n", i, to_string(p.workload[i]));
    auto ts = question_ticks(p.seed, r.makespan);
    s += "\nQuestions:\n";
    s += fmt::format(
        "  1. What does each CPU do at tick{} {} (a thread, idle, switch or "
        "upcall)?\n",
        ts.size() == 1 ? "" : "s", ticks_list(ts));
    s += "  2. At which tick is each user thread DONE?\n";
    s += "  3. What is the CPU utilisation (compute ticks / (CPUs x tick the last thread is "
         "DONE))?\n";
    return s;
}

std::string render_table(const Problem& p, const Result& r) {
    std::vector<std::string> head{"t"};
    for (size_t i = 0; i < r.threads.size(); ++i) head.push_back(fmt::format("U{}", i));
    bool lwps = p.cfg.model == Model::ManyToMany;
    if (lwps)
        for (size_t j = 0; j < r.lwps.size(); ++j) head.push_back(fmt::format("L{}", j));
    for (size_t c = 0; c < r.cpus.size(); ++c) head.push_back(fmt::format("CPU{}", c));
    Table table(head);
    table.right_align({0});
    for (int t = 0; t < r.makespan; ++t) {
        std::vector<std::string> row{std::to_string(t)};
        for (const auto& tl : r.threads) row.push_back(to_string(tl.at(t).state));
        if (lwps)
            for (const auto& tl : r.lwps) row.push_back(lwp_cell(tl.at(t)));
        for (const auto& tl : r.cpus) row.push_back(cpu_cell(tl.at(t)));
        table.row(std::move(row));
    }
    return table.render();
}

std::string render_answers(const Problem& p, const Result& r) {
    std::string s = render_problem(p, r);
    auto ts = question_ticks(p.seed, r.makespan);
    s += "\nAnswers:\n  1.";
    for (int t : ts) {
        s += fmt::format(" tick {}:", t);
        for (size_t c = 0; c < r.cpus.size(); ++c)
            s += fmt::format("{} CPU{} {}", c ? "," : "", c, cpu_cell(r.cpus[c].at(t)));
        s += ";";
    }
    s.pop_back();
    s += "\n  2.";
    for (size_t i = 0; i < r.finish.size(); ++i)
        s += fmt::format(" U{} {}{}", i, r.finish[i], i + 1 < r.finish.size() ? "," : "");
    s += fmt::format("\n  3. {} / ({} x {}) = {}\n", r.compute_ticks, p.cfg.cpus, r.makespan,
                     percent(r.utilisation));
    s += fmt::format(
        "\nCPU ticks: {} compute, {} switching ({} switches), {} in upcalls ({} "
        "upcalls), {} idle\n\n",
        r.compute_ticks, r.switch_ticks, r.switches, r.upcall_ticks, r.upcalls, r.idle_ticks);
    s += render_table(p, r);
    return s;
}

nlohmann::json to_json(const Problem& p, const Result& r, bool answers) {
    using nlohmann::json;
    const Config& c = p.cfg;
    json j;
    j["model"] = to_string(c.model);
    j["threads"] = p.workload.size();
    j["kernel_entities"] = kernel_entities(c, p.workload);
    j["cpus"] = c.cpus;
    j["costs"] = {{"user_switch", c.costs.user},
                  {"kernel_switch", c.costs.kernel},
                  {"upcall", c.costs.upcall}};
    j["quantum"] = c.quantum;
    j["seed"] = p.seed;
    j["generated"] = p.generated;
    json w = json::array();
    for (const auto& t : p.workload) w.push_back(to_string(t));
    j["workload"] = w;
    j["question_ticks"] = question_ticks(p.seed, r.makespan);
    if (!answers) return j;
    j["finish"] = r.finish;
    j["makespan"] = r.makespan;
    j["utilisation"] = r.utilisation;
    j["cpu_ticks"] = {{"compute", r.compute_ticks}, {"switch", r.switch_ticks},
                      {"upcall", r.upcall_ticks},   {"idle", r.idle_ticks},
                      {"switches", r.switches},     {"upcalls", r.upcalls}};
    json ticks = json::array();
    bool lwps = c.model == Model::ManyToMany;
    for (int t = 0; t < r.makespan; ++t) {
        json row{{"t", t}};
        json th = json::array(), lw = json::array(), cp = json::array();
        for (const auto& tl : r.threads) th.push_back(to_string(tl.at(t).state));
        if (lwps)
            for (const auto& tl : r.lwps) lw.push_back(lwp_cell(tl.at(t)));
        for (const auto& tl : r.cpus) cp.push_back(cpu_cell(tl.at(t)));
        row["threads"] = th;
        if (lwps) row["lwps"] = lw;
        row["cpus"] = cp;
        ticks.push_back(row);
    }
    j["ticks"] = ticks;
    return j;
}

void write_trace(const std::string& path, const Problem& p, const Result& r) {
    auto tw = trace::TraceWriter::open(path);
    write_trace(tw, p, r);
    if (!tw.finish())
        throw UsageError(fmt::format("--trace {}: the write failed; check the disk", path));
}

void write_trace(trace::TraceWriter& tw, const Problem& p, const Result& r) {
    constexpr double kTickUs = 1000;  // 1 tick = 1 ms on the trace's time axis
    constexpr int kPid = 1;
    tw.process_name(kPid, fmt::format("threads sim: {}", to_string(p.cfg.model)));
    // args: the state, and "cpu" (user threads) or "thread" (LWPs, CPUs).
    auto spans = [&](const Timeline& tl, int tid, const char* who, auto name_of) {
        for (const auto& s : tl.spans()) {
            std::string name = name_of(s.cell);
            if (name.empty()) continue;
            trace::Args args = {{"state", to_string(s.cell.state)}};
            if (s.cell.who >= 0) args[who] = s.cell.who;
            tw.complete("thread", name, kPid, tid, s.begin * kTickUs, (s.end - s.begin) * kTickUs,
                        args);
        }
    };
    for (size_t i = 0; i < r.threads.size(); ++i) {
        int tid = 1 + int(i);
        tw.thread_name(kPid, tid, fmt::format("U{}", i));
        tw.thread_sort_index(kPid, tid, tid);
        spans(r.threads[i], tid, "cpu", [](Cell c) -> std::string {
            if (c.state == State::Running) return "RUNNING";
            if (c.state == State::Blocked) return "BLOCKED";
            if (c.state == State::Ready) return "READY";
            return "";
        });
    }
    for (size_t j = 0; j < r.lwps.size(); ++j) {
        int tid = 101 + int(j);
        tw.thread_name(kPid, tid, fmt::format("L{}", j));
        tw.thread_sort_index(kPid, tid, tid);
        spans(r.lwps[j], tid, "thread", [](Cell c) -> std::string {
            if (c.state == State::Idle) return "";
            return fmt::format("{} U{}",
                               c.state == State::Running   ? "RUNNING"
                               : c.state == State::Blocked ? "BLOCKED"
                                                           : "READY",
                               c.who);
        });
    }
    for (size_t c = 0; c < r.cpus.size(); ++c) {
        int tid = 201 + int(c);
        tw.thread_name(kPid, tid, fmt::format("CPU{}", c));
        tw.thread_sort_index(kPid, tid, tid);
        spans(r.cpus[c], tid, "thread", [](Cell cell) -> std::string {
            if (cell.state == State::Idle) return "";
            return cpu_cell(cell);
        });
    }
    tw.metadata("simulation", to_json(p, r, false));
    tw.metadata("tick_us", kTickUs);
}

std::string to_dot(const Problem& p, const Result& r) {
    std::string s = "digraph threads {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
    s += fmt::format("  label=\"{}: user threads -> {} -> CPUs (edges: compute ticks)\";\n",
                     to_string(p.cfg.model),
                     p.cfg.model == Model::Activations ? "virtual processors" : "kernel entities");
    for (size_t i = 0; i < r.threads.size(); ++i) s += fmt::format("  U{} [shape=ellipse];\n", i);
    for (size_t j = 0; j < r.lwps.size(); ++j) s += fmt::format("  L{} [shape=box];\n", j);
    for (size_t c = 0; c < r.cpus.size(); ++c) s += fmt::format("  CPU{} [shape=box3d];\n", c);
    for (const auto& [e, n] : r.thread_lwp)
        s += fmt::format("  U{} -> L{} [label=\"{}\"];\n", e.first, e.second, n);
    for (const auto& [e, n] : r.lwp_cpu)
        s += fmt::format("  L{} -> CPU{} [label=\"{}\"];\n", e.first, e.second, n);
    for (const auto& [e, n] : r.thread_cpu)
        s += fmt::format("  U{} -> CPU{} [label=\"{}\"];\n", e.first, e.second, n);
    s += "}\n";
    return s;
}

}  // namespace ptv::threads::sim

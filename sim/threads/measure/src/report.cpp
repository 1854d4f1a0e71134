#include "ptv/threads/measure/report.hpp"

#include <fmt/format.h>
#include <cmath>

#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"

namespace ptv::threads::measure {

namespace {

nlohmann::json number_or_null(double x) {
    return std::isfinite(x) && x >= 0 ? nlohmann::json(x) : nlohmann::json(nullptr);
}

// Today's µs per operation, NaN where not measured.
double today_us(const Results& r, Op op, Kind kind) {
    return r.median_ns(op, kind) / 1e3;
}

}  // namespace

std::string us_text(double us) {
    if (!std::isfinite(us) || us < 0) return "-";
    if (us >= 100) return thousands(uint64_t(std::llround(us)));
    if (us >= 10) return fmt::format("{:.1f}", us);
    if (us >= 1) return fmt::format("{:.2f}", us);
    if (us >= 0.1) return fmt::format("{:.3f}", us);
    return fmt::format("{:.4f}", us);
}

std::string ratio_text(double x) {
    if (!std::isfinite(x) || x <= 0) return "-";
    if (x < 10) return fmt::format("{:.2f}x", x);
    if (x < 100) return fmt::format("{:.1f}x", x);
    return thousands(uint64_t(std::llround(x))) + "x";
}

std::string render_table(const Results& r) {
    Table t({"operation", "source", "user-level (fibers)", "kernel threads", "processes",
             "kernel/user", "process/user"});
    t.right_align({2, 3, 4, 5, 6});
    bool first = true;
    for (Op op : kOps) {
        if (!first) t.rule();
        first = false;
        const double a_u = anderson_1992_us(op, Kind::Fiber);
        const std::string name(label(op));
        if (a_u > 0) {
            const double a_k = anderson_1992_us(op, Kind::KernelThread),
                         a_p = anderson_1992_us(op, Kind::Process);
            t.row({name, "Anderson 1992", us_text(a_u), us_text(a_k), us_text(a_p),
                   ratio_text(a_k / a_u), ratio_text(a_p / a_u)});
        }
        const double u = today_us(r, op, Kind::Fiber), k = today_us(r, op, Kind::KernelThread),
                     p = today_us(r, op, Kind::Process);
        t.row({a_u > 0 ? "" : name, "this machine", us_text(u), us_text(k), us_text(p),
               ratio_text(k / u), ratio_text(p / u)});
    }
    if (r.find(Op::ContextSwitch, Kind::BareContext)) {
        const double b = today_us(r, Op::ContextSwitch, Kind::BareContext);
        t.rule();
        t.row({"bare Boost.Context switch", "this machine", us_text(b), "", "", "", ""});
    }
    std::string out = fmt::format(
        "Threads on this machine beside Anderson et al. (TOCS 1992, Table 1; CVAX Firefly): "
        "µs per operation, median of {} trial(s)\n\n",
        r.options.trials);
    out += t.render();
    out += fmt::format(
        "\nNull Fork: create + run an empty body + join (boost::fibers::fiber, std::thread, "
        "fork() + waitpid()).\n"
        "Signal-Wait: one round trip of a ping-pong (two switches): fiber condition_variable, "
        "std::condition_variable, a pipe pair between two processes.\n"
        "context switch (Fig. 3-1): one switch; fibers yield(); threads and processes pinned to "
        "one CPU, passing a byte through pipes (includes the read/write calls).\n"
        "iterations per trial: {} for process Null Fork (--iterations), proportionally more for "
        "cheaper cells.\n",
        r.options.iterations);
    return out;
}

nlohmann::json to_json(const Results& r) {
    nlohmann::json j;
    j["unit"] = "us";
    j["iterations"] = r.options.iterations;
    j["trials"] = r.options.trials;
    nlohmann::json rows = nlohmann::json::array();
    auto row_json = [&](Op op) {
        nlohmann::json row;
        row["operation"] = key(op);
        row["label"] = label(op);
        nlohmann::json today, then, cells = nlohmann::json::array();
        for (Kind kind : kKinds) {
            today[key(kind)] = number_or_null(today_us(r, op, kind));
            then[key(kind)] = number_or_null(anderson_1992_us(op, kind));
        }
        if (op == Op::ContextSwitch && r.find(op, Kind::BareContext))
            today[key(Kind::BareContext)] = number_or_null(today_us(r, op, Kind::BareContext));
        for (const Cell& c : r.cells) {
            if (c.op != op) continue;
            nlohmann::json trials = nlohmann::json::array();
            for (const auto& t : c.trials) trials.push_back(t.run.ns_per_op() / 1e3);
            cells.push_back({{"kind", key(c.kind)},
                             {"iterations", c.iterations},
                             {"median_us", number_or_null(c.median_ns() / 1e3)},
                             {"trials_us", trials},
                             {"handoffs", c.trials.empty() ? 0 : c.trials.back().run.handoffs}});
        }
        auto ratios = [](const nlohmann::json& us) {
            auto ratio = [&](const char* a) {
                if (!us[a].is_number() || !us["fiber"].is_number()) return nlohmann::json(nullptr);
                return number_or_null(us[a].get<double>() / us["fiber"].get<double>());
            };
            return nlohmann::json{{"kernel_over_user", ratio("thread")},
                                  {"process_over_user", ratio("process")}};
        };
        row["today_us"] = today;
        row["today_ratios"] = ratios(today);
        const bool measured_then = anderson_1992_us(op, Kind::Fiber) > 0;
        row["anderson_1992_us"] = measured_then ? then : nlohmann::json(nullptr);
        row["anderson_1992_ratios"] = measured_then ? ratios(then) : nlohmann::json(nullptr);
        row["cells"] = cells;
        return row;
    };
    for (Op op : kOps) rows.push_back(row_json(op));
    j["rows"] = rows;
    return j;
}

}  // namespace ptv::threads::measure

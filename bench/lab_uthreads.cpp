// bench-lab-uthreads: the switch of lab 02's reference thread package
// (labs/02-uthreads/solution) beside a bare Boost.Context switch, in one run.
// Two floors, both printed: a bare resume() made inside a function, as a
// yield makes it (the target is against this one), and a bare resume()
// inlined into its loop (bench-threads' "bare Boost.Context" cell). Why
// they differ: labs/02-uthreads/harness/switch_cost.hpp. It exits 0
// whatever the numbers are (a measurement, not a test).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "harness/switch_cost.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string ns_text(double ns) {
    return fmt::format("{:.1f}", ns);
}

std::string ratio_text(double x) {
    return fmt::format("{:.2f}x", x);
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t switches = 2000000;
    unsigned trials = 7;
    bool json = false;
    CLI::App app{
        "bench-lab-uthreads: a uthread::yield of lab 02's reference solution beside a bare "
        "Boost.Context switch"};
    app.add_option("--switches", switches, "switches per trial and configuration")
        ->check(CLI::Range(uint64_t(1000), uint64_t(1000000000)))
        ->capture_default_str();
    app.add_option("--trials", trials, "trials, interleaved (the median is reported)")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
    app.add_flag("--json", json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-lab-uthreads");

    try {
        std::vector<double> yield, call, inlined;
        for (unsigned t = 0; t < trials; ++t) {
            const uthread::lab::SwitchCost c = uthread::lab::measure_switch_cost(switches, 1);
            yield.push_back(c.yield_ns);
            call.push_back(c.bare_call_ns);
            inlined.push_back(c.bare_inline_ns);
        }
        const double y = median(yield), b = median(call), i = median(inlined);
        constexpr double kTarget = 2;
        const bool met = y / b <= kTarget;
        if (json) {
            nlohmann::json j = {{"benchmark", "lab-uthreads"},
                                {"switches", switches},
                                {"trials", trials},
                                {"yield_ns", y},
                                {"bare_call_ns", b},
                                {"bare_inline_ns", i},
                                {"yield_over_bare_call", y / b},
                                {"yield_over_bare_inline", y / i},
                                {"max_ratio", kTarget},
                                {"met", met}};
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }
        std::printf(
            "A switch between two threads: ns per switch, median of %u trial(s) of %llu\n\n",
            trials, static_cast<unsigned long long>(switches));
        ptv::Table t({"switch", "ns", "over bare, in a call", "over bare, inlined"});
        t.right_align({1, 2, 3});
        t.row({"uthread::yield (lab 02 reference)", ns_text(y), ratio_text(y / b),
               ratio_text(y / i)});
        t.row({"bare Boost.Context resume(), in a call", ns_text(b), ratio_text(1),
               ratio_text(b / i)});
        t.row({"bare Boost.Context resume(), inlined", ns_text(i), "-", ratio_text(1)});
        std::printf("%s\n", t.render().c_str());
        ptv::Table g({"comparison", "ratio", "target", "met?"});
        g.right_align({1});
        g.row({"yield / bare resume() in a call", ratio_text(y / b),
               fmt::format("≤ {:g}x", kTarget), met ? "yes" : "no"});
        g.row({"yield / bare resume() inlined", ratio_text(y / i), "shown", "-"});
        std::printf("%s", g.render().c_str());
        return 0;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-lab-uthreads: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-lab-uthreads: measurement failed: %s\n", e.what());
        return 1;
    }
}

// bench-kvm-async: the asynchronous back end on real KVM, each figure
// beside its peer or limit in the same run.
//   1. The doorbell-to-completion round trip of guests/pvdisk-ping (one
//      request at a time, the guest blocking in `sti; hlt` for each) under
//      each dispatch strategy, over the same guest on a bare ioeventfd-plus-
//      eventfd loop (bare_ping.hpp). Targets: event <= 1.3x the limit,
//      pool <= 1.5x.
//   2. 64 outstanding requests of a 10 ms disk (guests/pvdisk "64 64 64"):
//      pool:16 and event over inline. Target: >= 10x.
//   3. A compute-bound guest (guests/smp) on 2 vCPUs over 1, each vCPU
//      doing the same rounds: 2 * t(1) / t(2). Target: >= 1.8x.
// Times are the worker's own run time (result "run_ns": first entry to the
// end), medians of interleaved trials so that drift hits every row alike.
//
//   bench-kvm-async [--quick] [--trials T]
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../kvm-exits/child.hpp"
#include "bare_ping.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/table.hpp"
#include "ptv/vid/kvm.hpp"

namespace {

using ptv::bench::Child;

std::string bin_dir() {
    return std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
}

// `ptv kvm run ARGS --json`: its run time in ms; throws if the guest did not
// end as `outcome`.
double ptv_run_ms(std::vector<std::string> args, const std::string& outcome) {
    std::vector<std::string> argv = {bin_dir() + "/ptv", "kvm", "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--json");
    Child c(argv, Child::Stream::Pipe, Child::Stream::Null);
    c.read_to_end(600);
    c.wait(60);
    auto j = nlohmann::json::parse(c.output(), nullptr, false);
    if (j.is_discarded() || j.value("outcome", "") != outcome)
        throw std::runtime_error(
            fmt::format("ptv kvm run {} ended {}", args.at(0),
                        j.is_discarded() ? "without a result" : j.value("message", "")));
    return double(j.value("run_ns", 0ull)) / 1e6;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string ratio(double x) {
    return fmt::format("{:.2f}x", x);
}

void round_trips(unsigned n, unsigned trials) {
    const std::vector<std::string> strategies = {"inline", "pool:1", "pool:4", "event"};
    std::map<std::string, std::vector<double>> us;  // per round trip
    const std::string image = bin_dir() + "/../guests/pvdisk-ping.bin";
    for (unsigned t = 0; t < trials; ++t) {
        const ptv::bench::PingRun bare = ptv::bench::run_bare_ping(image, n);
        us["bare"].push_back(double(bare.run_ns) / 1e3 / n);
        for (const auto& s : strategies)
            us[s].push_back(
                ptv_run_ms({"pvdisk-ping", "--cmdline", std::to_string(n), "--dispatch", s},
                           "guest-exit") *
                1e3 / n);
    }
    std::printf(
        "1. doorbell to completion, one request at a time: pvdisk-ping, %u round "
        "trips, median of %u\n\n",
        n, trials);
    const double limit = median(us["bare"]);
    ptv::Table t({"path", "µs per round trip", "over limit", "target", "met?"});
    t.right_align({1, 2});
    t.row({"bare ioeventfd + eventfd loop (limit)", fmt::format("{:.1f}", limit), "1.00x", "limit",
           "-"});
    for (const auto& s : strategies) {
        const double m = median(us[s]), r = m / limit;
        const double target = s == "event" ? 1.3 : s.starts_with("pool") ? 1.5 : 0;
        t.row({s, fmt::format("{:.1f}", m), ratio(r),
               target > 0 ? fmt::format("<= {:.1f}x", target) : "shown",
               target > 0 ? (r <= target ? "yes" : "NO") : "-"});
    }
    std::printf("%s\n", t.render().c_str());
}

void outstanding(unsigned trials) {
    const std::vector<std::string> strategies = {"inline", "pool:16", "event"};
    std::map<std::string, std::vector<double>> ms;
    for (unsigned t = 0; t < trials; ++t)
        for (const auto& s : strategies)
            ms[s].push_back(ptv_run_ms(
                {"pvdisk", "--cmdline", "64 64 64", "--dispatch", s, "--disk-latency", "10"},
                "guest-exit"));
    std::printf(
        "2. 64 outstanding requests of a 10 ms disk (pvdisk \"64 64 64\"), median of "
        "%u\n\n",
        trials);
    const double base = median(ms["inline"]);
    ptv::Table t({"strategy", "run ms", "speed-up over inline", "target", "met?"});
    t.right_align({1, 2});
    for (const auto& s : strategies) {
        const double m = median(ms[s]), r = base / m;
        const bool ref = s == "inline";
        t.row({s, fmt::format("{:.1f}", m), ratio(r), ref ? "reference" : ">= 10x",
               ref ? "-" : (r >= 10 ? "yes" : "NO")});
    }
    std::printf("%s\n", t.render().c_str());
}

void two_vcpus(unsigned rounds, unsigned trials) {
    std::vector<double> one, two;
    const std::string r = std::to_string(rounds);
    for (unsigned t = 0; t < trials; ++t) {
        one.push_back(ptv_run_ms({"smp", "--cpus", "1", "--cmdline", r}, "halted"));
        two.push_back(ptv_run_ms({"smp", "--cpus", "2", "--cmdline", r}, "halted"));
    }
    const double t1 = median(one), t2 = median(two), speedup = 2 * t1 / t2;
    std::printf(
        "3. compute-bound: smp, %u rounds of xorshift32 per vCPU, median of %u, %ld "
        "host CPUs\n\n",
        rounds, trials, ::sysconf(_SC_NPROCESSORS_ONLN));
    ptv::Table t({"vCPUs", "work", "run ms", "speed-up over 1 vCPU", "target", "met?"});
    t.right_align({2, 3});
    t.row({"1", "1 x R", fmt::format("{:.1f}", t1), "1.00x", "reference", "-"});
    t.row({"2", "2 x R", fmt::format("{:.1f}", t2), ratio(speedup), ">= 1.8x",
           speedup >= 1.8 ? "yes" : "NO"});
    std::printf("%s\n", t.render().c_str());
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    unsigned trials = 5;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") {
            quick = true;
        } else if (a == "--trials" && i + 1 < argc) {
            trials = unsigned(std::max(1, std::atoi(argv[++i])));
        } else {
            std::fprintf(stderr,
                         "bench-kvm-async: unknown argument '%s'; use --quick, --trials T\n",
                         a.c_str());
            return 2;
        }
    }
    if (quick) trials = 1;
    try {
        ptv::vid::Kvm kvm;  // says what is missing, if KVM is
    } catch (const ptv::UsageError& e) {
        std::printf("bench-kvm-async: %s\n", e.what());
        return 0;
    }
    try {
        round_trips(quick ? 200 : 2000, trials);
        outstanding(trials);
        two_vcpus(quick ? 20000 : 400000, trials);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-kvm-async: %s\n", e.what());
        return 1;
    }
    return 0;
}

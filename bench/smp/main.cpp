// bench-smp: guests/smp.asm's rounds of xorshift32 on N vCPUs, each vCPU
// doing R rounds, beside the same guest on one vCPU doing the same R: with
// a host core for each vCPU, N vCPUs finish N times the work in the time
// one takes, so the speed-up is N * t(1) / t(N). The target for N = 2 is at
// least 1.8x. Times are the worker's own run time (from the guest's first
// instruction to its last vCPU's halt), not the process's start-up.
//
//   bench-smp [--rounds R] [--trials T] [--cpus N]
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/common/table.hpp"

namespace {

std::string ptv_path() {
    return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "ptv").string();
}

// The worker's run time in ms, or a negative number when the run failed.
double run_ms(unsigned cpus, unsigned rounds, std::string& error) {
    const std::string cmd = fmt::format("'{}' kvm run smp --cpus {} --cmdline {} --json 2>&1",
                                        ptv_path(), cpus, rounds);
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return -1;
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
    // The JSON is the last line; serial output and messages come before.
    const auto brace = out.rfind("\n{");
    auto j = nlohmann::json::parse(out.substr(brace == std::string::npos ? 0 : brace + 1), nullptr,
                                   false);
    if (j.is_discarded() || j.value("outcome", "") != "halted") {
        error = out.substr(0, out.find('\n'));
        return -1;
    }
    return double(j.value("run_ns", 0ull)) / 1e6;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    unsigned rounds = 200000, trials = 5, cpus = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const unsigned v = unsigned(std::stoul(argv[i + 1]));
        if (a == "--rounds")
            rounds = v;
        else if (a == "--trials")
            trials = v;
        else if (a == "--cpus")
            cpus = v;
    }
    if (::access("/dev/kvm", R_OK | W_OK) != 0) {
        std::printf("bench-smp: no /dev/kvm on this host; nothing measured\n");
        return 0;
    }
    std::vector<double> one, many;
    std::string error;
    for (unsigned t = 0; t < trials; ++t) {  // interleaved: drift hits both
        const double a = run_ms(1, rounds, error), b = run_ms(cpus, rounds, error);
        if (a < 0 || b < 0) {
            std::fprintf(stderr, "bench-smp: a run failed: %s\n", error.c_str());
            return 1;
        }
        one.push_back(a);
        many.push_back(b);
    }
    const double t1 = median(one), tn = median(many);
    const double speedup = double(cpus) * t1 / tn;
    std::printf(
        "smp guest: %u rounds of xorshift32 per vCPU, median of %u interleaved runs, "
        "%ld host CPUs\n\n",
        rounds, trials, ::sysconf(_SC_NPROCESSORS_ONLN));
    ptv::Table t({"vCPUs", "work", "run ms", "speed-up over 1 vCPU", "target", "met?"});
    t.right_align({1, 2, 3});
    t.row({"1", fmt::format("{} x R", 1), fmt::format("{:.1f}", t1), "1.00x", "reference", "-"});
    const double target = 0.9 * cpus;
    t.row({fmt::format("{}", cpus), fmt::format("{} x R", cpus), fmt::format("{:.1f}", tn),
           fmt::format("{:.2f}x", speedup), fmt::format(">= {:.1f}x", target),
           speedup >= target ? "yes" : "NO"});
    std::printf("%s", t.render().c_str());
    return 0;
}

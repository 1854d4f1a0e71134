// Configurations: checks, the policy preset, seeded problems, bandwidths.
#include "ptv/migration/sim/problem.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "ptv/common/error.hpp"

namespace ptv::migration::sim {

const char* to_string(Policy p) {
    switch (p) {
        case Policy::PreCopy:
            return "precopy";
        case Policy::StopAndCopy:
            return "stopcopy";
        case Policy::PostCopy:
            return "postcopy";
        case Policy::Hybrid:
            return "hybrid";
    }
    return "?";
}

Policy parse_policy(const std::string& name) {
    for (Policy p : {Policy::PreCopy, Policy::StopAndCopy, Policy::PostCopy, Policy::Hybrid})
        if (name == to_string(p)) return p;
    throw UsageError(fmt::format("--policy '{}': use precopy, stopcopy, postcopy or hybrid", name));
}

void validate(const Config& c) {
    auto range = [](const char* what, uint64_t v, uint64_t lo, uint64_t hi) {
        if (v < lo || v > hi)
            throw UsageError(fmt::format("{} {} is out of range: use {}..{}", what, v, lo, hi));
    };
    range("--memory", c.memory_pages, 1, 1u << 24);  // 64 GiB of 4 KiB pages
    range("--bandwidth", c.bandwidth, 1, 10'000'000);
    range("--state-pages", c.state_pages, 0, 1u << 20);
    range("--latency", c.latency_us, 0, 10'000'000);
    range("--hybrid-rounds", c.hybrid_rounds, 1, 30);
    range("--downtime-limit", c.downtime_limit_ms, 0, 3'600'000);
    if (c.stop != "xen" && c.stop != "qemu")
        throw UsageError(fmt::format("--stop '{}': use xen or qemu", c.stop));
    if (c.downtime_limit_ms > 0 && c.stop != "qemu")
        throw UsageError("--downtime-limit is QEMU's rule: add --stop qemu");
    // Time must fit: the worst case sends 3x memory plus post-copy.
    if (double(c.memory_pages) * 4 * double(kPageTime) > 4e18)
        throw UsageError("--memory is too large for the simulator's clock");
}

std::unique_ptr<PreCopyPolicy> make_policy(const Config& c) {
    return make_precopy_policy(c.stop, c.downtime_limit_ms ? double(c.downtime_limit_ms) / 1e3
                                                           : kQemuDefaultDowntimeLimitS);
}

Config generate(uint64_t seed) {
    SplitMix64 rng(seed ^ 0x6d6967726174696full);  // "migratio"
    auto pick = [&](std::initializer_list<uint64_t> xs) {
        return *(xs.begin() + rng.below(xs.size()));
    };
    Config c;
    c.memory_pages = pick({1024, 2048, 4096, 8192, 16384});
    c.bandwidth = pick({1000, 2000, 4000, 5000, 10000});
    const uint64_t b = c.bandwidth;
    switch (rng.below(4)) {
        case 0:
        case 1:  // the interesting case: a writable working set
            c.dirty = fmt::format("wws:{}:{}", pick({32, 64, 128, 256, 512}),
                                  pick({b / 4, b / 2, b, 2 * b}));
            break;
        case 2:
            c.dirty = fmt::format("uniform:{}", pick({b / 20, b / 10, b / 5}));
            break;
        default:
            c.dirty = fmt::format("sweep:{}", pick({b / 4, b / 2, 2 * b}));
            break;
    }
    switch (rng.below(6)) {
        case 0:
        case 1:
        case 2:
            c.policy = Policy::PreCopy;
            break;
        case 3:
            c.policy = Policy::PostCopy;
            break;
        case 4:
            c.policy = Policy::Hybrid;
            break;
        default:
            c.policy = Policy::StopAndCopy;
            break;
    }
    c.stop = rng.below(2) ? "qemu" : "xen";
    if (c.stop == "qemu") c.downtime_limit_ms = pick({0, 50, 100});
    c.latency_us = pick({100, 200, 500});
    c.hybrid_rounds = uint32_t(pick({1, 2, 3}));
    return c;
}

uint64_t parse_bandwidth(const std::string& text) {
    auto bad = [&](const std::string& why) -> UsageError {
        return UsageError(fmt::format("--bandwidth '{}': {}", text, why));
    };
    size_t unit = text.find_first_not_of("0123456789.");
    if (unit == 0) throw bad("start with a number (e.g. 25000, 100MB/s, 1Gbit)");
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + std::min(unit, text.size()), v);
    if (ec != std::errc() || end != text.data() + std::min(unit, text.size()))
        throw bad("not a number");
    std::string u = unit == std::string::npos ? "" : text.substr(unit);
    for (const char* tail : {"/s", "ps"})
        if (u.size() > 2 && u.ends_with(tail)) u.resize(u.size() - 2);
    double bytes = 0;  // per second, or 0 for pages
    if (u.empty() || u == "pages" || u == "p") {
        bytes = 0;
    } else {
        const std::pair<const char*, double> units[] = {
            {"B", 1},          {"KB", 1e3},        {"MB", 1e6},           {"GB", 1e9},
            {"KiB", 1024.0},   {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"bit", 1.0 / 8},
            {"Kbit", 1e3 / 8}, {"Mbit", 1e6 / 8},  {"Gbit", 1e9 / 8}};
        for (auto [name, scale] : units)
            if (u == name) bytes = v * scale;
        if (bytes == 0)
            throw bad(
                "unknown unit: use pages/s (no unit), KB/s, MB/s, GB/s, KiB/s, MiB/s, "
                "GiB/s, Kbit, Mbit or Gbit");
    }
    const double pages = bytes > 0 ? std::floor(bytes / double(kPageSize)) : v;
    if (pages != std::floor(pages)) throw bad("pages per second must be a whole number");
    if (pages < 1 || pages > 1e7)
        throw bad(fmt::format("{:.0f} pages/s is out of range: use 1..10000000 pages/s", pages));
    return uint64_t(pages);
}

}  // namespace ptv::migration::sim

// Parsing, printing and generating workloads (see workload.hpp).
#include "ptv/threads/sim/workload.hpp"

#include <fmt/format.h>

#include <cctype>

#include "ptv/common/error.hpp"

namespace ptv::threads::sim {

namespace {

[[noreturn]] void bad(size_t thread, std::string_view what) {
    throw UsageError(fmt::format("--workload: thread {}: {}", thread, what));
}

// The token starting at s[i], up to the next space or separator, for messages.
std::string_view token_at(std::string_view s, size_t i) {
    size_t j = i + 1;
    while (j < s.size() && !std::isspace((unsigned char)s[j]) && s[j] != ',' && s[j] != ';' &&
           s[j] != 'c' && s[j] != 'b')
        ++j;
    return s.substr(i, j - i);
}

}  // namespace

Workload parse_workload(std::string_view spec) {
    Workload w;
    ThreadBursts cur;
    size_t i = 0;
    auto end_thread = [&] {
        if (cur.empty())
            bad(w.size(), "no bursts (an empty thread); give each thread bursts like 'c5 b10 c3'");
        if (int(w.size()) >= kMaxThreads)
            throw UsageError(
                fmt::format("--workload: more than {} threads; use fewer threads", kMaxThreads));
        w.push_back(std::move(cur));
        cur.clear();
    };
    bool any = false;
    for (char ch : spec)
        if (!std::isspace((unsigned char)ch)) any = true;
    if (!any)
        throw UsageError("--workload is empty; give bursts per thread, e.g. \"c5 b10 c3, c4\"");
    while (true) {
        while (i < spec.size() && std::isspace((unsigned char)spec[i])) ++i;
        if (i == spec.size()) {
            end_thread();
            break;
        }
        char k = spec[i];
        if (k == ',' || k == ';') {
            end_thread();
            ++i;
            continue;
        }
        std::string_view tok = token_at(spec, i);
        if (k != 'c' && k != 'b')
            bad(w.size(), fmt::format("'{}' is not a burst; write cN (compute N ticks) or bN "
                                      "(block in a system call N ticks)",
                                      tok));
        size_t j = i + 1;
        int64_t n = 0;
        bool digits = false;
        while (j < spec.size() && std::isdigit((unsigned char)spec[j])) {
            digits = true;
            if (n <= kMaxBurst) n = n * 10 + (spec[j] - '0');
            ++j;
        }
        bool clean_end = j == spec.size() || std::isspace((unsigned char)spec[j]) ||
                         spec[j] == ',' || spec[j] == ';' || spec[j] == 'c' || spec[j] == 'b';
        if (!digits || !clean_end)
            bad(w.size(), fmt::format("'{}' has no length; write {}N with N a positive whole "
                                      "number of ticks",
                                      tok, k));
        if (n == 0)
            bad(w.size(), fmt::format("'{}' lasts no time; a burst lasts at least 1 tick", tok));
        if (n > kMaxBurst)
            bad(w.size(),
                fmt::format("'{}' is longer than {} ticks; use shorter bursts", tok, kMaxBurst));
        if (int(cur.size()) >= kMaxBurstsPerThread)
            bad(w.size(),
                fmt::format("more than {} bursts; use fewer bursts", kMaxBurstsPerThread));
        Burst b{Burst::Kind(k), int(n)};
        if (cur.empty() && b.kind == Burst::Block)
            bad(w.size(), fmt::format("starts with the block '{}'; a thread must compute before "
                                      "its first system call (start with cN)",
                                      tok));
        if (!cur.empty() && b.kind == Burst::Block && cur.back().kind == Burst::Block)
            bad(w.size(), fmt::format("two blocks in a row ('{}'); put a compute burst between "
                                      "system calls or join them into one",
                                      tok));
        cur.push_back(b);
        i = j;
    }
    int64_t total = 0;
    for (const auto& t : w) total += total_ticks(t);
    if (total > kMaxTotalTicks)
        throw UsageError(
            fmt::format("--workload: {} ticks in all is more than {}; use shorter or "
                        "fewer bursts",
                        total, kMaxTotalTicks));
    return w;
}

std::string to_string(const ThreadBursts& bursts) {
    std::string s;
    for (const auto& b : bursts) {
        if (!s.empty()) s += ' ';
        s += fmt::format("{}{}", char(b.kind), b.ticks);
    }
    return s;
}

std::string to_string(const Workload& w) {
    std::string s;
    for (const auto& t : w) {
        if (!s.empty()) s += ", ";
        s += to_string(t);
    }
    return s;
}

int64_t compute_ticks(const ThreadBursts& bursts) {
    int64_t n = 0;
    for (const auto& b : bursts)
        if (b.kind == Burst::Compute) n += b.ticks;
    return n;
}

int64_t total_ticks(const ThreadBursts& bursts) {
    int64_t n = 0;
    for (const auto& b : bursts) n += b.ticks;
    return n;
}

Workload generate_workload(uint64_t seed, int threads) {
    Rng rng(seed);
    int n = threads > 0 ? threads : rng.between(2, 4);
    Workload w(static_cast<size_t>(n));
    for (auto& t : w) {
        int computes = rng.between(1, 3);
        for (int k = 0; k < computes; ++k) {
            if (k) t.push_back({Burst::Block, rng.between(2, 8)});
            t.push_back({Burst::Compute, rng.between(1, 6)});
        }
    }
    return w;
}

}  // namespace ptv::threads::sim

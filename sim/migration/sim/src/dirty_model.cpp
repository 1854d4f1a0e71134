// The dirty-page models and their write stream (see dirty_model.hpp).
#include "ptv/migration/sim/dirty_model.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "ptv/common/error.hpp"

namespace ptv::migration::sim {

namespace {

constexpr uint64_t kMaxRate = 1'000'000'000;  // pages/s: 4 TB/s of writes

[[noreturn]] void bad(const std::string& spec, const std::string& why) {
    throw UsageError(fmt::format("--dirty '{}': {}; see 'ptv migrate sim --help'", spec, why));
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    size_t from = 0;
    for (;;) {
        size_t at = s.find(sep, from);
        parts.push_back(s.substr(from, at - from));
        if (at == std::string::npos) return parts;
        from = at + 1;
    }
}

uint64_t number(const std::string& spec, const std::string& text, const char* what) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        bad(spec, fmt::format("{} '{}' is not a whole number", what, text));
    return n;
}

// "2s", "1.5s", "500ms", "250us" -> microseconds.
uint64_t duration_us(const std::string& spec, const std::string& text) {
    size_t unit = text.find_first_not_of("0123456789.");
    if (unit == 0 || unit == std::string::npos)
        bad(spec, fmt::format("duration '{}' needs a unit: s, ms or us (e.g. 2s)", text));
    const std::string u = text.substr(unit);
    double scale = u == "s" ? 1e6 : u == "ms" ? 1e3 : u == "us" ? 1 : 0;
    if (scale == 0) bad(spec, fmt::format("duration '{}': the unit must be s, ms or us", text));
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + unit, v);
    if (ec != std::errc() || end != text.data() + unit)
        bad(spec, fmt::format("duration '{}' is not a number", text));
    const double us = std::round(v * scale);
    if (us < 1 || us > 1e9) bad(spec, fmt::format("duration '{}' must be 1us..1000s", text));
    return uint64_t(us);
}

uint64_t rate(const std::string& spec, const std::string& text) {
    uint64_t r = number(spec, text, "rate");
    if (r > kMaxRate) bad(spec, fmt::format("rate {} is above {} pages/s", r, kMaxRate));
    return r;
}

DirtyPhase one_model(const std::string& spec, const std::string& text) {
    auto f = split(text, ':');
    DirtyPhase p;
    if (f[0] == "idle" && f.size() == 1) return p;
    if (f[0] == "uniform" && f.size() == 2) {
        p.kind = DirtyPhase::Kind::Uniform;
        p.rate = rate(spec, f[1]);
        return p;
    }
    if (f[0] == "sweep" && f.size() == 2) {
        p.kind = DirtyPhase::Kind::Sweep;
        p.rate = rate(spec, f[1]);
        return p;
    }
    if (f[0] == "wws" && (f.size() == 3 || f.size() == 4)) {
        p.kind = DirtyPhase::Kind::WritableWorkingSet;
        p.wws_pages = number(spec, f[1], "working-set size");
        if (p.wws_pages == 0) bad(spec, "the working set needs at least 1 page");
        p.rate = rate(spec, f[2]);
        if (f.size() == 4) p.wws_first = number(spec, f[3], "first page");
        return p;
    }
    bad(spec, fmt::format("'{}' is not a model: use idle, uniform:RATE, wws:PAGES:RATE[:FIRST], "
                          "sweep:RATE or phases:MODEL@DURATION,...",
                          text));
}

std::string phase_words(const DirtyPhase& p) {
    switch (p.kind) {
        case DirtyPhase::Kind::Idle:
            return "no writes";
        case DirtyPhase::Kind::Uniform:
            return fmt::format("{} pages/s written at random over all memory", p.rate);
        case DirtyPhase::Kind::WritableWorkingSet:
            return fmt::format(
                "a writable working set of {} pages ({}..{}) rewritten round-robin "
                "at {} pages/s",
                p.wws_pages, p.wws_first, p.wws_first + p.wws_pages - 1, p.rate);
        case DirtyPhase::Kind::Sweep:
            return fmt::format("a sequential sweep through memory at {} pages/s", p.rate);
    }
    return "";
}

std::string duration_words(uint64_t us) {
    if (us % 1'000'000 == 0) return fmt::format("{} s", us / 1'000'000);
    if (us % 1000 == 0) return fmt::format("{} ms", us / 1000);
    return fmt::format("{} us", us);
}

}  // namespace

DirtyModel DirtyModel::parse(const std::string& spec) {
    DirtyModel m;
    m.spec = spec;
    if (spec.rfind("phases:", 0) == 0) {
        for (const auto& item : split(spec.substr(7), ',')) {
            auto at = item.rfind('@');
            if (at == std::string::npos)
                bad(spec, fmt::format("phase '{}' needs a duration: MODEL@DURATION", item));
            DirtyPhase p = one_model(spec, item.substr(0, at));
            p.duration_us = duration_us(spec, item.substr(at + 1));
            m.phases.push_back(p);
        }
        return m;
    }
    if (spec.find('@') != std::string::npos || spec.find(',') != std::string::npos)
        bad(spec, "durations and lists need phases: (phases:MODEL@DURATION,...)");
    m.phases.push_back(one_model(spec, spec));
    return m;
}

void DirtyModel::check(uint64_t memory_pages) const {
    for (const auto& p : phases)
        if (p.kind == DirtyPhase::Kind::WritableWorkingSet &&
            (p.wws_pages > memory_pages || p.wws_first > memory_pages - p.wws_pages))
            throw UsageError(
                fmt::format("--dirty '{}': the working set (pages {}..{}) does not "
                            "fit in memory (pages 0..{})",
                            spec, p.wws_first, p.wws_first + p.wws_pages - 1, memory_pages - 1));
}

std::string DirtyModel::describe() const {
    if (phases.size() == 1 && phases[0].duration_us == 0) return phase_words(phases[0]);
    std::string s = "phases, repeating:";
    for (size_t i = 0; i < phases.size(); ++i)
        s += fmt::format("{} {} for {}", i ? ";" : "", phase_words(phases[i]),
                         duration_words(phases[i].duration_us));
    return s;
}

WriteStream::WriteStream(const DirtyModel& model, uint64_t memory_pages, uint64_t bandwidth,
                         uint64_t seed)
    : model_(model), memory_(memory_pages), bandwidth_(bandwidth), rng_(seed) {
    advance();
}

WriteStream::Write WriteStream::pop() {
    Write w = next_;
    advance();
    return w;
}

// Write j (1-based) of a phase of RATE pages/s starting at S happens at
// S + ceil(j U / RATE), U = B 10^6 u per second: by time t, floor(t RATE)
// writes. A write exactly at the end of a phase belongs to that phase.
void WriteStream::advance() {
    const __int128 U = __int128(bandwidth_) * 1'000'000;
    // Phases that never write (rate 0, or too short for one write) would
    // loop for ever: when no phase writes, neither does the guest.
    bool any = false;
    for (const auto& p : model_.phases)
        if (p.rate > 0 && (p.duration_us == 0 || p.duration_us * p.rate >= 1'000'000)) any = true;
    if (!any) {
        next_ = {};
        return;
    }
    for (;;) {
        const DirtyPhase& p = model_.phases[phase_];
        const __int128 end =
            p.duration_us ? __int128(phase_start_) + __int128(p.duration_us) * __int128(bandwidth_)
                          : __int128(kNever);
        if (p.rate > 0) {
            const uint64_t j = j_ + 1;
            const __int128 t = __int128(phase_start_) + (__int128(j) * U + p.rate - 1) / p.rate;
            if (t >= __int128(kNever) / 2) {  // beyond any simulation
                next_ = {};
                return;
            }
            if (t <= end) {
                j_ = j;
                uint64_t page = 0;
                switch (p.kind) {
                    case DirtyPhase::Kind::Uniform:
                        page = rng_.below(memory_);
                        break;
                    case DirtyPhase::Kind::WritableWorkingSet:
                        page = p.wws_first + (j - 1) % p.wws_pages;
                        break;
                    case DirtyPhase::Kind::Sweep:
                        page = (j - 1) % memory_;
                        break;
                    case DirtyPhase::Kind::Idle:
                        break;
                }
                next_ = {Time(t), page};
                return;
            }
        }
        if (p.duration_us == 0 || end >= __int128(kNever) / 2) {
            next_ = {};
            return;
        }
        phase_ = (phase_ + 1) % model_.phases.size();
        phase_start_ = Time(end);
        j_ = 0;
    }
}

}  // namespace ptv::migration::sim

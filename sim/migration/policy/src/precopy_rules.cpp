#include "ptv/migration/precopy_rules.hpp"

#include <fmt/format.h>

namespace ptv::migration::rules {

std::optional<std::string> few_dirty_pages(const RoundStats& s, uint64_t min_pages) {
    if (s.pages_dirty >= min_pages) return std::nullopt;
    return fmt::format("{} dirty pages < {}", s.pages_dirty, min_pages);
}

std::optional<std::string> fits_downtime(const RoundStats& s, double limit_s) {
    if (limit_s <= 0 || s.bandwidth_bytes_per_s <= 0) return std::nullopt;
    const double remaining_s = double(s.pages_dirty * kPageSize) / s.bandwidth_bytes_per_s;
    if (remaining_s > limit_s) return std::nullopt;
    return fmt::format("{} dirty pages fit in {:.1f} ms <= {:.0f} ms downtime limit", s.pages_dirty,
                       remaining_s * 1e3, limit_s * 1e3);
}

std::optional<std::string> sent_too_much(const RoundStats& s, double factor) {
    if (double(s.total_pages_sent) < factor * double(s.memory_pages)) return std::nullopt;
    return fmt::format("{} pages sent >= {:g}x memory", s.total_pages_sent, factor);
}

std::optional<std::string> rounds_reached(const RoundStats& s, uint32_t max_rounds) {
    if (s.round < max_rounds) return std::nullopt;
    return fmt::format("{} rounds reached", max_rounds);
}

}  // namespace ptv::migration::rules

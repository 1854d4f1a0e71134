// The stop rules the real systems combine (Xen's and QEMU's policies are
// each a fixed choice and order of these). Each returns the reason to stop
// after this round, or nothing; the reasons are the kit's report text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ptv/migration/precopy_policy.hpp"

namespace ptv::migration::rules {

// The dirty set has shrunk to a few pages: fewer than `min_pages` are dirty.
std::optional<std::string> few_dirty_pages(const RoundStats& s, uint64_t min_pages);
// The dirty pages can be sent within `limit_s` at the bandwidth measured so
// far. No rule without a known bandwidth, nor with a limit of 0 (off).
std::optional<std::string> fits_downtime(const RoundStats& s, double limit_s);
// All rounds together have sent `factor` times the guest's memory.
std::optional<std::string> sent_too_much(const RoundStats& s, double factor);
// `max_rounds` rounds are done.
std::optional<std::string> rounds_reached(const RoundStats& s, uint32_t max_rounds);

}  // namespace ptv::migration::rules

// The -s SEED option every seeded problem takes (threads, servers, migration
// and vmm exercises): a whole number from 0 to 2^64-1, refused otherwise
// with one line naming the value.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

namespace ptv::cli {

// A CLI11 check: "" if `v` is a seed, else what is wrong with it.
inline std::string seed_number(const std::string& v) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || v[0] == '-' || ec != std::errc() || end != v.data() + v.size())
        return "'" + v + "' is not a whole number from 0 to 2^64-1";
    return "";
}

}  // namespace ptv::cli

// Small formatting helpers shared by tables and messages.
#pragma once

#include <cstdint>
#include <string>

namespace ptv {

// 1234567 -> "1,234,567"
std::string thousands(uint64_t n);
// Nanoseconds in the unit a person reads best: "830 ns", "12.4 µs", "3.20 ms", "1.50 s".
std::string human_ns(double ns);

}  // namespace ptv

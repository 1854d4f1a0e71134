// Small formatting helpers shared by tables and messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ptv {

// 1234567 -> "1,234,567"
std::string thousands(uint64_t n);
// Nanoseconds in the unit a person reads best: "830 ns", "12.4 µs", "3.20 ms", "1.50 s".
std::string human_ns(double ns);
// Text for HTML or XML, in an element or a double-quoted attribute: & < > "
// as entities (HTML listings, Moodle XML, Graphviz HTML-like labels).
std::string escape_html(std::string_view text);

}  // namespace ptv

// The measure table, laid out like Anderson et al. (TOCS 1992) Table 1:
// rows Null Fork, Signal-Wait (and the context switch of Fig. 3-1), columns
// user-level threads, kernel threads, processes; their 1992 µs beside
// today's, and the ratios between the columns for both eras.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ptv/threads/measure/measure.hpp"

namespace ptv::threads::measure {

// Microseconds with three significant digits ("0.0512", "1.23", "11,300").
std::string us_text(double us);
// A ratio the way bench tables print it ("3.52x", "28.0x", "332x").
std::string ratio_text(double x);

std::string render_table(const Results& r);
nlohmann::json to_json(const Results& r);

}  // namespace ptv::threads::measure

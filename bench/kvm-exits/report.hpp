// The benchmark's answer: the machine, then two tables (exit round trip
// against the bare loop; start-up to the first serial byte), each row with
// its ratio, its target and whether the target was met. Also as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "results.hpp"

namespace ptv::bench {

std::string render_text(const Results& r);
nlohmann::json render_json(const Results& r);

}  // namespace ptv::bench

// bench-migration's table and its JSON, from Results.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "results.hpp"

namespace ptv::bench {

std::string render_text(const Results& r);
nlohmann::json render_json(const Results& r);

}  // namespace ptv::bench

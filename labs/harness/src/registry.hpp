// The registry behind PTV_LAB_CASE.
#pragma once

#include <string_view>
#include <vector>

#include "ptv/lab/harness.hpp"

namespace ptv::lab {

struct Case {
    std::string_view name;
    CaseFunction function;
};

// In registration order.
std::vector<Case>& cases();
// The case named `name`, or nullptr.
const Case* find_case(std::string_view name);

}  // namespace ptv::lab

// The cases a lab-tests program holds, registered by PTV_LAB_CASE before
// main runs.
#include "registry.hpp"

namespace ptv::lab {

std::vector<Case>& cases() {
    // A function-local static: registrars in other translation units run
    // in an unspecified order, and the first one creates the list.
    static std::vector<Case> all;
    return all;
}

CaseRegistrar::CaseRegistrar(const char* name, CaseFunction function) {
    cases().push_back({name, function});
}

const Case* find_case(std::string_view name) {
    for (const auto& c : cases())
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace ptv::lab

// The service's answers (README.md, "Protocol"): {"ok":true,...}, or
// {"ok":false,"status":N,"error":"one line"} with status 2 for a mistake in
// the request and 1 for an operation refused or failed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ptv::vmms {

inline nlohmann::json error(int status, std::string message) {
    return {{"ok", false}, {"status", status}, {"error", std::move(message)}};
}

inline nlohmann::json ok(nlohmann::json more = nlohmann::json::object()) {
    more["ok"] = true;
    return more;
}

}  // namespace ptv::vmms

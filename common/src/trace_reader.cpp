#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"

namespace ptv::trace {

namespace {

bool looks_like_event(const nlohmann::json& j) {
    return j.is_object() && j.contains("ph");
}

// Fallback for truncated or damaged files: our writer puts one event per
// line, so every line that parses as an event object is kept.
Trace parse_lines(std::string_view text, std::string error) {
    Trace t;
    t.error = std::move(error);
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        while (!line.empty() && (line.back() == ',' || line.back() == '\r' || line.back() == ' '))
            line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        // Skip the wrapper: "{"traceEvents":[", "]", "],", "metadata":{...}}.
        if (line.empty() || line.front() != '{' || line.starts_with("{\"traceEvents\"")) continue;
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (looks_like_event(j))
            t.events.push_back(std::move(j));
        else if (j.is_discarded() && line.front() == '{')
            ++t.skipped;  // an event cut short or garbled
    }
    return t;
}

}  // namespace

Trace parse(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return parse_lines(text, "malformed or truncated JSON");
    Trace t;
    const nlohmann::json* events = nullptr;
    if (j.is_object() && j.contains("traceEvents")) {
        events = &j["traceEvents"];
        if (j.contains("metadata") && j["metadata"].is_object()) t.metadata = j["metadata"];
    } else if (j.is_array()) {
        events = &j;
    } else if (looks_like_event(j)) {
        t.events.push_back(j);
        return t;
    }
    if (!events || !events->is_array()) {
        t.error = "not a Chrome trace: no traceEvents array";
        return t;
    }
    for (const auto& ev : *events) {
        if (looks_like_event(ev))
            t.events.push_back(ev);
        else
            ++t.skipped;
    }
    if (t.skipped) t.error = fmt::format("{} events without a phase were skipped", t.skipped);
    return t;
}

Trace load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UsageError(fmt::format("cannot read trace file '{}': {}; check the path", path,
                                     std::strerror(errno)));
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str());
}

}  // namespace ptv::trace

// The kit's own bank format: what `ptv exercises check` reads (question.hpp).
#include <fmt/format.h>

#include "ptv/common/error.hpp"
#include "ptv/exercises/export.hpp"

namespace ptv::exercises {

std::string to_json_text(const Bank& b) {
    return to_json(b).dump(2) + "\n";
}

std::string to_html(const std::string& text) {
    std::string h = "<p>";
    char prev = '\n';
    for (char c : text) {
        // HTML collapses spaces: keep the indentation of listings.
        if (c == ' ' && (prev == ' ' || prev == '\n')) {
            h += "&nbsp;";
            prev = c;
            continue;
        }
        prev = c;
        switch (c) {
            case '&':
                h += "&amp;";
                break;
            case '<':
                h += "&lt;";
                break;
            case '>':
                h += "&gt;";
                break;
            case '"':
                h += "&quot;";
                break;
            case '\n':
                h += "<br>";
                break;
            default:
                h += c;
        }
    }
    return h + "</p>";
}

std::string export_bank(const Bank& b, const std::string& format) {
    if (format == "json") return to_json_text(b);
    if (format == "moodle-xml") return to_moodle_xml(b);
    if (format == "gift") return to_gift(b);
    throw UsageError(fmt::format("--format '{}': use json, moodle-xml or gift", format));
}

}  // namespace ptv::exercises

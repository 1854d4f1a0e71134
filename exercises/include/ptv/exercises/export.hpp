// The export formats of a bank: the kit's JSON (what `check` reads), Moodle
// XML and GIFT (both imported by Moodle, and Moodle XML by most other LMSs).
// One file each: format_json.cpp, format_moodle.cpp, format_gift.cpp.
#pragma once

#include <string>

#include "ptv/exercises/question.hpp"

namespace ptv::exercises {

std::string to_json_text(const Bank& b);
std::string to_moodle_xml(const Bank& b);
std::string to_gift(const Bank& b);

// "json", "moodle-xml" or "gift" to its writer; throws ptv::UsageError.
std::string export_bank(const Bank& b, const std::string& format);

// Text of a question as HTML (escaped, lines kept).
std::string to_html(const std::string& text);

}  // namespace ptv::exercises

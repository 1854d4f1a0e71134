// What a check found (see report.hpp).
#include "ptv/servers/conformance/report.hpp"

#include <fmt/format.h>

namespace ptv::servers::conformance {

bool Report::check(bool ok, std::string_view what) {
    if (!ok) failures_.emplace_back(what);
    return ok;
}

bool Report::expect_reply(std::string_view request, const std::optional<http::Response>& got,
                          int status, std::optional<std::string_view> body) {
    if (!got)
        return check(false, fmt::format("{}: no complete response (timeout, reset or malformed)",
                                        printable(request, 160)));
    if (got->status != status)
        return check(false, fmt::format("{}: status {}, expected {}", printable(request, 160),
                                        got->status, status));
    if (body && got->body != *body)
        return check(false, fmt::format("{}: body \"{}\" ({} bytes), expected \"{}\"",
                                        printable(request, 160), printable(got->body, 40),
                                        got->body.size(), printable(*body, 40)));
    return true;
}

std::string Report::text(size_t max) const {
    std::string s;
    for (size_t i = 0; i < failures_.size() && i < max; ++i) s += failures_[i] + "\n";
    if (failures_.size() > max) s += fmt::format("... and {} more\n", failures_.size() - max);
    return s;
}

std::string printable(std::string_view bytes, size_t max) {
    std::string s;
    for (char c : bytes.substr(0, max)) {
        if (c == '\r')
            s += "\\r";
        else if (c == '\n')
            s += "\\n";
        else if (c < 0x20 || c == 0x7f)
            s += fmt::format("\\x{:02x}", unsigned(uint8_t(c)));
        else
            s += c;
    }
    if (bytes.size() > max) s += fmt::format("... ({} bytes)", bytes.size());
    return s;
}

}  // namespace ptv::servers::conformance

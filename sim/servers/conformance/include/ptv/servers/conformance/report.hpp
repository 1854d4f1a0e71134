// What a conformance check found: every expectation that did not hold, in
// the order met, each a line saying what was sent and what came back.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/servers/http/request.hpp"

namespace ptv::servers::conformance {

class Report {
  public:
    // Records `what` as a failure unless `ok`; returns ok.
    bool check(bool ok, std::string_view what);
    // A reply to `request` (for the message) is there, with this status and,
    // if given, this exact body. Returns whether it all held.
    bool expect_reply(std::string_view request, const std::optional<http::Response>& got,
                      int status, std::optional<std::string_view> body = std::nullopt);

    bool ok() const { return failures_.empty(); }
    const std::vector<std::string>& failures() const { return failures_; }
    // The failures, one a line (the first `max` of them, and how many more).
    std::string text(size_t max = 10) const;

  private:
    std::vector<std::string> failures_;
};

// A request as one printable line: CR LF shown as \r\n, long ones cut.
std::string printable(std::string_view bytes, size_t max = 80);

}  // namespace ptv::servers::conformance

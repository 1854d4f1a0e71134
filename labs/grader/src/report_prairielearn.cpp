// PrairieLearn's external-grader results.json: a score in [0, 1], whether
// the submission could be graded, and per test points and a message.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "ptv/lab/grader/report.hpp"

namespace ptv::lab {

std::string report_prairielearn(const GradeResult& r) {
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& t : r.tests)
        tests.push_back({{"name", t.number + " " + t.name},
                         {"points", t.points},
                         {"max_points", t.max_points},
                         {"message", std::string(status_name(t.status)) +
                                         (t.message.empty() ? "" : ": " + t.message)},
                         {"output", test_details(t, 40)}});
    double max = r.max_score();
    nlohmann::json doc = {
        {"gradable", true},
        {"score", max > 0 ? r.score() / max : 0.0},
        {"output", fmt::format("{}: {}. Score: {}. Grader {}.", r.lab, r.title,
                               score_text(r.score(), r.max_score()), r.grader_hash)},
        {"tests", tests}};
    // Every text in it went through printable(); a byte that still is not
    // UTF-8 must not cost the whole report.
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace ptv::lab

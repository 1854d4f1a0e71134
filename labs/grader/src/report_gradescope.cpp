// Gradescope's results.json (its autograder specification): a score, the
// time taken, an overall output, and per test its score, status and output.
// Hidden tests are visible (their class and hint, never their input); with
// --reveal their input is in the output, so they are shown only after the
// due date.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "ptv/lab/grader/report.hpp"

namespace ptv::lab {

std::string report_gradescope(const GradeResult& r) {
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& t : r.tests) {
        std::string output = std::string(status_name(t.status)) + "\n" + test_details(t, 40);
        tests.push_back({{"name", t.name},
                         {"number", t.number},
                         {"score", t.points},
                         {"max_score", t.max_points},
                         {"status", t.points >= t.max_points ? "passed" : "failed"},
                         {"output", output},
                         {"visibility", t.hidden && r.revealed ? "after_due_date" : "visible"},
                         {"tags", nlohmann::json::array({t.part})}});
    }
    nlohmann::json doc = {
        {"score", r.score()},
        {"execution_time", int(std::lround(r.seconds))},
        {"output",
         fmt::format("{}: {}. Score: {}. Grader {} (compare it with `make grade` "
                     "locally: the same hash means the same tests).",
                     r.lab, r.title, score_text(r.score(), r.max_score()), r.grader_hash)},
        {"tests", tests}};
    // Every text in it went through printable(); a byte that still is not
    // UTF-8 must not cost the whole report.
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace ptv::lab

// The json report: the whole GradeResult, for scripts and for the tests.
#include <nlohmann/json.hpp>

#include "ptv/lab/grader/report.hpp"

namespace ptv::lab {

std::string report_json(const GradeResult& r) {
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& t : r.tests)
        tests.push_back({{"name", t.name},
                         {"part", t.part},
                         {"number", t.number},
                         {"status", status_name(t.status)},
                         {"points", t.points},
                         {"max_points", t.max_points},
                         {"hidden", t.hidden},
                         {"message", t.message},
                         {"hint", t.hint},
                         {"input", t.input},
                         {"reproduce", t.reproduce},
                         {"output", t.output},
                         {"seconds", t.seconds}});
    nlohmann::json doc = {
        {"lab", r.lab},           {"title", r.title},   {"grader_hash", r.grader_hash},
        {"revealed", r.revealed}, {"score", r.score()}, {"max_score", r.max_score()},
        {"seconds", r.seconds},   {"tests", tests}};
    // Every text in it went through printable(); a byte that still is not
    // UTF-8 must not cost the whole report.
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace ptv::lab

// The four report formats of one GradeResult, with exact values.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "ptv/lab/grader/report.hpp"

using namespace ptv::lab;
using nlohmann::json;

namespace {
GradeResult example() {
    GradeResult r;
    r.lab = "00-example";
    r.title = "Example";
    r.grader_hash = "0x0123456789abcdef";
    r.seconds = 2.4;
    TestResult pass;
    pass.name = "add small numbers";
    pass.part = "Adding";
    pass.number = "1.1";
    pass.points = pass.max_points = 2;
    TestResult fail = pass;
    fail.name = "add negative numbers";
    fail.number = "1.2";
    fail.points = 0;
    fail.max_points = 1.5;
    fail.status = Status::Failed;
    fail.message = "add(-4, -3): got -1, expected -7";
    fail.hint = "negative numbers add like the others";
    fail.reproduce = "/s/lab-tests run add-negative --seed 1";
    TestResult hidden = fail;
    hidden.name = "random";
    hidden.number = "2.1";
    hidden.part = "Sorting";
    hidden.hidden = true;
    hidden.reproduce.clear();
    hidden.max_points = 3;
    TestResult note;
    note.name = "add on the machine (on /dev/kvm)";
    note.part = "Adding";
    note.number = "1.3.kvm";
    note.status = Status::Informational;
    note.message = "needs /dev/kvm: run locally";
    r.tests = {pass, fail, note, hidden};
    return r;
}
}  // namespace

TEST_CASE("report: text ends with the score, and says what to do about a failure") {
    std::string text = report(example(), ReportFormat::Text);
    CHECK(text.starts_with("00-example: Example   (grader 0x0123456789abcdef)\nAdding\n"));
    CHECK(text.ends_with("Score: 2/6.5\n"));
    CHECK(text.find("1.2   0/1.5  add negative numbers: failed\n") != std::string::npos);
    CHECK(text.find("reproduce: /s/lab-tests run add-negative --seed 1\n") != std::string::npos);
    CHECK(text.find("hint: negative numbers add like the others\n") != std::string::npos);
    CHECK(text.find("random (hidden): failed") != std::string::npos);
    CHECK(text.find("1.3.kvm") == std::string::npos);
    CHECK(text.find("Note: 1 test ran on the CPU model, not on KVM (needs /dev/kvm: run locally): "
                    "1.3\nScore: 2/6.5\n") != std::string::npos);
}

TEST_CASE("report: Gradescope's results.json") {
    auto doc = json::parse(report(example(), ReportFormat::Gradescope));
    CHECK(doc["score"] == 2);
    CHECK(doc["execution_time"] == 2);
    CHECK(doc["output"].get<std::string>().find("0x0123456789abcdef") != std::string::npos);
    REQUIRE(doc["tests"].size() == 4);
    const auto& fail = doc["tests"][1];
    CHECK(fail["name"] == "add negative numbers");
    CHECK(fail["number"] == "1.2");
    CHECK(fail["score"] == 0);
    CHECK(fail["max_score"] == 1.5);
    CHECK(fail["status"] == "failed");
    CHECK(fail["visibility"] == "visible");
    CHECK(fail["tags"] == json::array({"Adding"}));
    CHECK(fail["output"].get<std::string>().starts_with("failed\nadd(-4, -3): got -1"));
    CHECK(doc["tests"][2]["status"] == "passed");  // informational: 0 of 0
    CHECK(doc["tests"][2]["max_score"] == 0);
    CHECK(doc["tests"][3]["visibility"] == "visible");

    auto revealed = example();
    revealed.revealed = true;
    auto rdoc = json::parse(report(revealed, ReportFormat::Gradescope));
    CHECK(rdoc["tests"][3]["visibility"] == "after_due_date");
    CHECK(rdoc["tests"][1]["visibility"] == "visible");
}

TEST_CASE("report: PrairieLearn's results.json and the json report") {
    auto pl = json::parse(report(example(), ReportFormat::PrairieLearn));
    CHECK(pl["gradable"] == true);
    CHECK(pl["score"].get<double>() == doctest::Approx(2 / 6.5));
    CHECK(pl["tests"][1]["name"] == "1.2 add negative numbers");
    CHECK(pl["tests"][1]["points"] == 0);
    CHECK(pl["tests"][1]["max_points"] == 1.5);
    CHECK(pl["tests"][1]["message"] == "failed: add(-4, -3): got -1, expected -7");

    auto js = json::parse(report(example(), ReportFormat::Json));
    CHECK(js["score"] == 2);
    CHECK(js["max_score"] == 6.5);
    CHECK(js["grader_hash"] == "0x0123456789abcdef");
    CHECK(js["tests"][2]["status"] == "informational");
    CHECK(js["tests"][3]["hidden"] == true);
}

TEST_CASE("report: an unknown format is a usage error") {
    CHECK(parse_report_format("gradescope") == ReportFormat::Gradescope);
    CHECK_THROWS_WITH(parse_report_format("xml"),
                      "unknown format 'xml'; use text, json, gradescope or prairielearn");
}

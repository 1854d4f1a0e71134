// lab.json: what the grader accepts, and the one line it says otherwise.
#include <doctest/doctest.h>

#include "ptv/common/error.hpp"
#include "ptv/lab/grader/lab_spec.hpp"

using ptv::lab::parse_lab_spec;

namespace {
const char* kValid = R"({
  "id": "02-uthreads", "title": "User-level threads", "student_files": ["uthread.cpp"],
  "variants": ["normal", "asan", "tsan"],
  "parts": [ { "name": "Scheduling", "time_limit_s": 10, "tests": [
    { "name": "yield is round robin", "case": "yield-order", "points": 2, "hint": "tail" },
    { "name": "random workloads", "case": "random-workload", "points": 4, "hidden": true,
      "seeds": 3 },
    { "name": "no data races", "case": "mutex-counter", "points": 1, "variant": "tsan" },
    { "name": "on kvm", "case": "boot", "points": 1.5, "substrate": "kvm", "seed": 7 } ] } ]
})";

std::string error_of(const std::string& text) {
    try {
        parse_lab_spec(text, "lab.json");
    } catch (const ptv::UsageError& e) {
        return e.what();
    }
    return "(accepted)";
}

std::string with(const std::string& from, const std::string& to) {
    std::string s = kValid;
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}
}  // namespace

TEST_CASE("lab.json: the README's example reads field by field") {
    auto lab = parse_lab_spec(kValid, "lab.json");
    CHECK(lab.id == "02-uthreads");
    CHECK(lab.student_files == std::vector<std::string>{"uthread.cpp"});
    REQUIRE(lab.parts.size() == 1);
    CHECK(lab.parts[0].time_limit_s == 10);
    const auto& t = lab.parts[0].tests;
    REQUIRE(t.size() == 4);
    CHECK(t[0].case_name == "yield-order");
    CHECK(t[0].variant == "normal");
    CHECK(t[0].hidden == false);
    CHECK(t[0].seed == 1);
    CHECK(t[1].hidden == true);
    CHECK(t[1].seeds == 3);
    CHECK(t[2].variant == "tsan");
    CHECK(t[3].needs_kvm == true);
    CHECK(t[3].seed == 7);
    CHECK(lab.max_points() == 8.5);
}

TEST_CASE("lab.json: each mistake is one line naming where it is") {
    CHECK(error_of("{").starts_with("lab.json: not valid JSON: "));
    CHECK(error_of(with(R"("id": "02-uthreads", )", "")) == "lab.json: top level: missing \"id\"");
    CHECK(error_of(with(R"("variant": "tsan")", R"("variant": "msan")")) ==
          "lab.json: parts[0].tests[2] (\"no data races\"): variant \"msan\" is not in the "
          "lab's \"variants\"");
    CHECK(error_of(with(R"("points": 2,)", R"("points": "two",)")) ==
          "lab.json: parts[0].tests[0] (\"yield is round robin\"): \"points\" has the wrong type");
    CHECK(error_of(with(R"("hint": "tail")", R"("hint": "tail", "seeds": 2)")) ==
          "lab.json: parts[0].tests[0] (\"yield is round robin\"): \"seeds\" is for hidden "
          "tests; a public test has one \"seed\"");
    CHECK(error_of(with(R"("name": "on kvm")", R"("name": "no data races")")) ==
          "lab.json: parts[0]: two tests are named \"no data races\"");
    CHECK(error_of(with(R"("substrate": "kvm")", R"("substrate": "qemu")")) ==
          "lab.json: parts[0].tests[3] (\"on kvm\"): \"substrate\" must be \"model\" or \"kvm\"");
    CHECK(error_of(with(R"(["uthread.cpp"])", R"(["src/uthread.cpp"])")) ==
          "lab.json: student_files: each entry must be a plain file name");
    CHECK(error_of(with(R"("time_limit_s": 10)", R"("time_limit_s": 0)")) ==
          "lab.json: parts[0]: \"time_limit_s\" must be positive");
}

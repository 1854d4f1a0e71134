// `ptv threads measure` as a user runs it: JSON with every row, a trace,
// and mistakes as one line with exit status 2.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "process.hpp"
#include "ptv/common/trace.hpp"

namespace {

bool one_line(const std::string& s) {
    return !s.empty() && s.back() == '\n' && std::count(s.begin(), s.end(), '\n') == 1;
}

}  // namespace

TEST_CASE("ptv threads measure --json prints every row, every column") {
    const auto c = ptv::test::run({ptv::test::bin("ptv"), "threads", "measure", "--json",
                                   "--iterations", "1", "--trials", "1"});
    REQUIRE(c.status == 0);
    const auto j = nlohmann::json::parse(c.out);
    REQUIRE(j["rows"].size() == 3);
    const char* ops[] = {"null_fork", "signal_wait", "context_switch"};
    for (size_t i = 0; i < 3; ++i) {
        const auto& row = j["rows"][i];
        CHECK(row["operation"] == ops[i]);
        for (const char* kind : {"fiber", "thread", "process"}) {
            CAPTURE(kind);
            REQUIRE(row["today_us"][kind].is_number());
            CHECK(row["today_us"][kind].get<double>() > 0);
        }
        CHECK(row["today_ratios"]["kernel_over_user"].is_number());
        CHECK(row["today_ratios"]["process_over_user"].is_number());
    }
    CHECK(j["rows"][0]["anderson_1992_us"]["process"] == 11300);
    CHECK(j["rows"][1]["anderson_1992_us"]["thread"] == 441);
    CHECK(j["rows"][2]["anderson_1992_us"].is_null());
}

TEST_CASE("ptv threads measure prints the table beside Anderson's") {
    const auto c = ptv::test::run(
        {ptv::test::bin("ptv"), "threads", "measure", "--iterations", "1", "--trials", "1"});
    REQUIRE(c.status == 0);
    for (const char* s : {"Null Fork", "Signal-Wait", "context switch", "Anderson 1992", "948",
                          "kernel/user", "process/user"})
        CHECK(c.out.find(s) != std::string::npos);
}

TEST_CASE("ptv threads measure --trace writes a Chrome trace in category thread") {
    ptv::test::TempDir dir;
    const std::string path = dir.file("measure.json");
    const auto c = ptv::test::run({ptv::test::bin("ptv"), "threads", "measure", "--iterations", "1",
                                   "--trials", "1", "--trace", path});
    REQUIRE(c.status == 0);
    const auto t = ptv::trace::load(path);
    CHECK(t.error.empty());
    size_t spans = 0;
    for (const auto& ev : t.events)
        if (ev.value("ph", "") == "X") {
            CHECK(ev["cat"] == "thread");
            ++spans;
        }
    CHECK(spans >= 9 + 3 * 8);  // a span per cell and trial, 8 lifetimes per kind
}

TEST_CASE("mistakes: one line, exit status 2") {
    const std::string ptv = ptv::test::bin("ptv");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {ptv, "threads", "measure", "--iterations", "0"},
             {ptv, "threads", "measure", "--iterations", "lots"},
             {ptv, "threads", "measure", "--trials", "0"},
             {ptv, "threads", "measure", "--no-such-flag"},
             {ptv, "threads", "measure", "--iterations", "1", "--trace", "/nonexistent/dir/t.json"},
         }) {
        CAPTURE(args.back());
        const auto c = ptv::test::run(args);
        CHECK(c.status == 2);
        CHECK(one_line(c.err));
        CHECK(c.out.empty());
    }
}

// `ptv threads demo` as a user runs it: bad input is one line and exit 2;
// a short run prints its table, writes a trace and leaves nothing behind.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process.hpp"
#include "ptv/common/trace.hpp"

using ptv::test::bin;
using ptv::test::run;

namespace {

void check_usage_error(const std::vector<std::string>& args, const std::string& mentions) {
    std::vector<std::string> argv{bin("ptv"), "threads", "demo"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, {}, 30);
    INFO("stderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(mentions) != std::string::npos);
}

}  // namespace

TEST_CASE("bad input: one line, exit 2") {
    check_usage_error({"blocking", "--fibers", "0"}, "--fibers");
    check_usage_error({"blocking", "--fibers", "5000000"}, "--fibers");
    check_usage_error({"blocking", "--block-ms", "0"}, "--block-ms");
    check_usage_error({"blocking", "--kernel-threads", "0"}, "--kernel-threads");
    check_usage_error({"blocking", "--fibers", "many"}, "fibers");
    check_usage_error({"client", "--latency-ms", "-5"}, "latency");
    check_usage_error({"client", "--documents", "0"}, "--documents");
    check_usage_error({"client", "--documents", "1000000"}, "--documents");
    check_usage_error({"client", "--trace", "/nonexistent-dir/x.json"}, "/nonexistent-dir");
    check_usage_error({"nosuchdemo"}, "subcommand");
}

TEST_CASE("a short client run prints its table and writes a trace") {
    ptv::test::TempDir dir;
    const std::string path = dir.file("client.json");
    auto r = run({bin("ptv"), "threads", "demo", "client", "--documents", "3", "--latency-ms", "5",
                  "--trace", path},
                 {}, 30);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("speed-up") != std::string::npos);
    auto t = ptv::trace::load(path);
    CHECK(t.error.empty());
    bool waiting = false;
    for (const auto& ev : t.events)
        if (ev.value("cat", "") == "thread" &&
            ev.value("name", "").find("waiting (fiber-aware") != std::string::npos)
            waiting = true;
    CHECK(waiting);
}

TEST_CASE("a short blocking run marks the blocking read in its trace") {
    ptv::test::TempDir dir;
    const std::string path = dir.file("blocking.json");
    auto r = run({bin("ptv"), "threads", "demo", "blocking", "--fibers", "2", "--block-ms", "20",
                  "--trace", path, "--json"},
                 {}, 30);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["runs"].size() == 3);
    auto t = ptv::trace::load(path);
    CHECK(t.error.empty());
    int reads = 0;
    for (const auto& ev : t.events)
        if (ev.value("name", "") == "blocked in read()") ++reads;
    CHECK(reads == 2);  // runs 1 and 2 block in read(); run 3 waits fiber-aware
}

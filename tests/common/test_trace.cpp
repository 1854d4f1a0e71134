#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "../support/process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/record_buffer.hpp"
#include "ptv/common/table.hpp"
#include "ptv/common/trace.hpp"

using namespace ptv;

TEST_CASE("a written trace loads back with its events, flows and metadata") {
    test::TempDir dir;
    const std::string path = dir.file("t.json");
    {
        auto w = trace::TraceWriter::open(path);
        w.process_name(1, "VM demo");
        w.thread_name(1, 1, "vCPU 0");
        w.complete("vmexit", "io", 1, 1, 1.5, 0.25, {{"port", "0x3f8"}});
        w.flow_start("notification", "dispatch", 7, 1, 1, 1.6);
        w.flow_finish("notification", "dispatch", 7, 1, 100, 1.6);
        w.metadata("exits", 1);
        CHECK(w.finish());
    }
    auto t = trace::load(path);
    CHECK(t.error.empty());
    CHECK(t.skipped == 0);
    REQUIRE(t.events.size() == 5);
    CHECK(t.events[2]["ph"] == "X");
    CHECK(t.events[2]["args"]["port"] == "0x3f8");
    CHECK(t.events[2]["dur"].get<double>() == doctest::Approx(0.25));
    CHECK(t.events[3]["ph"] == "s");
    CHECK(t.events[4]["ph"] == "f");
    CHECK(t.events[4]["id"] == 7);
    CHECK(t.metadata["exits"] == 1);
}

TEST_CASE("a truncated trace gives a partial load and says so") {
    test::TempDir dir;
    const std::string path = dir.file("t.json");
    {
        auto w = trace::TraceWriter::open(path);
        for (int i = 0; i < 10; ++i) w.instant("thread", "tick", 1, 1, i);
    }
    std::string text;
    {
        std::ifstream in(path);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    // Cut in the middle of the eighth event.
    size_t cut = 0;
    for (int i = 0; i < 8; ++i) cut = text.find("\"ph\"", cut + 1);
    auto t = trace::parse(text.substr(0, cut + 3));
    CHECK_FALSE(t.error.empty());
    CHECK(t.events.size() == 7);
    CHECK(t.skipped == 1);
}

TEST_CASE("an empty trace is empty, not an error, and a missing one is a usage error") {
    auto t = trace::parse("{\"traceEvents\":[]}");
    CHECK(t.events.empty());
    CHECK(t.error.empty());
    CHECK_THROWS_AS(trace::load("/nonexistent/trace.json"), UsageError);
}

TEST_CASE("live mode writes one bare event per line") {
    char* buf = nullptr;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    {
        trace::TraceWriter w(f, trace::TraceWriter::Mode::Lines);
        w.instant("thread", "a", 1, 2, 3.0);
        w.instant("thread", "b", 1, 2, 4.0);
        w.finish();
    }
    fclose(f);
    std::string s(buf, len);
    free(buf);
    CHECK(std::count(s.begin(), s.end(), '\n') == 2);
    CHECK(s.find("traceEvents") == std::string::npos);
    CHECK(trace::parse(s).events.size() == 2);
}

TEST_CASE("the record buffer never grows: it drops and counts") {
    RecordBuffer<int> b(3);
    for (int i = 0; i < 5; ++i)
        if (int* slot = b.claim()) *slot = i;
    CHECK(b.size() == 3);
    CHECK(b.dropped() == 2);
    CHECK(b.records()[2] == 2);
}

TEST_CASE("tables align numbers right and text left") {
    Table t({"name", "count"});
    t.right_align({1}).row({"uart", "61"}).row({"pv-console", "1"});
    CHECK(t.render() ==
          "name        count\n"
          "-----------------\n"
          "uart           61\n"
          "pv-console      1\n");
}

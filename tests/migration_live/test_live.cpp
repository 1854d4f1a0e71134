// Live migration for real: a counter guest moves from worker A to worker B
// while it runs, in each mode; its output must go on with no gap and no
// repeat, and the memory digest taken at the switch-over must be the same
// on both sides. Driven through `ptv migrate` as a user would.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "background.hpp"
#include "counter_lines.hpp"
#include "process.hpp"

using namespace ptv::test;
using nlohmann::json;

namespace {

size_t lines_in(const std::string& s) {
    return size_t(std::count(s.begin(), s.end(), '\n'));
}

json run_live(const std::string& mode, const std::vector<std::string>& extra, TempDir& dir,
              Completed& c) {
    std::vector<std::string> argv = {bin("ptv"),
                                     "migrate",
                                     "live",
                                     "counter",
                                     "--mode",
                                     mode,
                                     "--after",
                                     "0.5",
                                     "--stop-after",
                                     "0.6",
                                     "--json",
                                     "--trace",
                                     dir.file("trace.json")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    c = run(argv, {}, 90);
    INFO("stderr: " << c.err);
    auto j = json::parse(c.out, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
}

}  // namespace

TEST_CASE("live migration, each mode: the guest goes on with no gap and no repeat, same memory") {
    for (std::string mode : {"precopy", "stopcopy", "postcopy"}) {
        CAPTURE(mode);
        TempDir dir;
        Completed c;
        const json j = run_live(mode, {"--cmdline", "1024"}, dir, c);
        INFO(c.err);
        CHECK(c.status == 0);
        CHECK(j["status"] == "done");
        CHECK(j["mode"] == mode);
        CHECK(j["source"]["outcome"] == "migrated");
        CHECK(j["destination"]["outcome"] == "stopped");
        // The digest A took of its RAM (frozen after the switch) and the one
        // B built from the pages that arrived.
        CHECK(j["digest_match"] == true);
        CHECK(j["digest"] == j["destination_digest"]);
        const std::string a = j["source"]["serial"], b = j["destination"]["serial"];
        const auto n = counter_lines(a + b);
        CHECK(lines_in(a) >= 2);  // it ran on A ...
        CHECK(lines_in(b) >= 2);  // ... and went on on B
        // B resumed the count from where A stopped.
        CHECK(j["destination"]["serial_bytes"].get<uint64_t>() ==
              j["source"]["serial_bytes"].get<uint64_t>() + b.size());
        const uint64_t pages = j["memory_bytes"].get<uint64_t>() / 4096;
        CHECK(pages == 64 * 256);
        if (mode == "precopy") {
            REQUIRE(j["rounds"].size() >= 1);
            // Round 1 sends every page; the policy's reason is on the last.
            CHECK(j["rounds"][0]["pages"] == pages);
            CHECK_FALSE(j["rounds"].back()["decision"].get<std::string>().empty());
        } else if (mode == "stopcopy") {
            CHECK(j["rounds"].empty());
            CHECK(j["stop_and_copy"]["pages"] == pages);
            CHECK(j["downtime_ms"].get<double>() >=
                  j["stop_and_copy"]["duration_ms"].get<double>() * 0.5);
        } else {
            CHECK(j["rounds"].empty());
            CHECK(j["stop_and_copy"]["pages"] == 0);
            // Every page crossed exactly once: pushed or asked for.
            CHECK(j["pages_pushed"].get<uint64_t>() + j["pages_requested"].get<uint64_t>() ==
                  pages);
            // B asked for each page it faulted on; A answered those it had not
            // pushed yet (a request can cross the page on the wire).
            CHECK(j["postcopy"]["pages_requested"].get<uint64_t>() >=
                  j["pages_requested"].get<uint64_t>());
            CHECK(j["postcopy"]["remote_faults"].get<uint64_t>() >=
                  j["postcopy"]["pages_requested"].get<uint64_t>());
            CHECK(j["postcopy"]["degraded_ms"].get<double>() > 0);
        }
        // The migration trace, for the visualizer.
        std::ifstream t(dir.file("trace.json"));
        const json trace = json::parse(t, nullptr, false);
        REQUIRE(trace.contains("traceEvents"));
        size_t rounds = 0, downtime = 0, stop_copy = 0, degraded = 0;
        for (const auto& e : trace["traceEvents"]) {
            if (e.value("cat", "") != "migration") continue;
            const std::string name = e.value("name", "");
            rounds += name == "round";
            downtime += name == "downtime";
            stop_copy += name == "stop-and-copy";
            degraded += name == "degraded";
            if (name == "round") CHECK(e["args"].contains("pages_dirtied"));
        }
        CHECK(rounds == j["rounds"].size());
        CHECK(downtime == 1);
        CHECK(stop_copy == 1);
        CHECK(degraded == (mode == "postcopy" ? 1u : 0u));
    }
}

TEST_CASE("live migration: each round sends what the last one left dirty, nothing more") {
    // A 4 MiB working set rewritten continuously, and Xen's rules (which go
    // on while 50 or more pages are dirty). How many pages the guest dirties
    // depends on how fast it runs; the bookkeeping must hold either way.
    TempDir dir;
    Completed c;
    const json j =
        run_live("precopy", {"--cmdline", "4096", "--memory", "128", "--policy", "xen"}, dir, c);
    CHECK(c.status == 0);
    CHECK(j["digest_match"] == true);
    CHECK(j["policy"] == "xen");
    const auto& rounds = j["rounds"];
    REQUIRE(rounds.size() >= 1);
    CHECK(rounds.size() <= 30);
    CHECK(rounds[0]["pages"] == 128 * 256);
    for (size_t k = 1; k < rounds.size(); ++k)
        CHECK(rounds[k]["pages"] == rounds[k - 1]["pages_dirtied"]);
    // Only the working set (1024 pages) and the guest's few variables and
    // stack pages are ever written after boot.
    const uint64_t last_dirty = rounds.back()["pages_dirtied"];
    const uint64_t final_pages = j["stop_and_copy"]["pages"];
    CHECK(final_pages >= last_dirty);
    CHECK(final_pages <= 1024 + 8);
    for (const auto& r : rounds) CHECK(r["pages_dirtied"].get<uint64_t>() <= 1024 + 8);
    // Xen stops for one of its three reasons.
    const std::string why = rounds.back()["decision"];
    CHECK((why.find("dirty pages < 50") != std::string::npos ||
           why.find("30 rounds") != std::string::npos ||
           why.find("3x memory") != std::string::npos));
    counter_lines(j["source"]["serial"].get<std::string>() +
                  j["destination"]["serial"].get<std::string>());
}

TEST_CASE("listen + live --to: migration to another listener, and ship (weak mobility)") {
    TempDir dir;
    const uint16_t port = free_port();
    {
        Background b({bin("ptv"), "migrate", "listen", "--port", std::to_string(port), "--address",
                      "127.0.0.1", "--stop-after", "0.6"},
                     dir, "listen");
        REQUIRE(b.wait_err("waiting on"));
        const Completed a = run(
            {bin("ptv"), "migrate", "live", "counter", "--to", "127.0.0.1:" + std::to_string(port),
             "--after", "0.5", "--trace", dir.file("t.json")},
            {}, 60);
        INFO(a.err);
        CHECK(a.status == 0);
        CHECK(a.err.find("migrated counter (precopy") != std::string::npos);
        CHECK(b.wait() == 0);
        INFO(b.err());
        // The guest's output: its first part on this side, the rest there.
        counter_lines(a.out + b.out());
        CHECK(b.err().find("memory digest at the switch-over") != std::string::npos);
        CHECK(b.err().find(": match") != std::string::npos);
    }
    {
        Background b({bin("ptv"), "migrate", "listen", "--port", std::to_string(port), "--address",
                      "127.0.0.1", "--stop-after", "0.3"},
                     dir, "ship");
        REQUIRE(b.wait_err("waiting on"));
        const Completed s = run({bin("ptv"), "migrate", "ship", "counter", "--to",
                                 "127.0.0.1:" + std::to_string(port), "--cmdline", "64"},
                                {}, 30);
        INFO(s.err);
        CHECK(s.status == 0);
        CHECK(s.out.find("started fresh there") != std::string::npos);
        CHECK(b.wait() == 0);
        // Started from the beginning: the banner, then 1, 2, ...
        const auto n = counter_lines(b.out());
        CHECK(b.out().find("working set 64 KiB") != std::string::npos);
        CHECK(n.size() >= 1);
    }
}

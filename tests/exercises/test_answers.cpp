// Every exported answer is the simulator's: each question's own command,
// run with --json, holds the answer at the question's pointers. And every
// problem is worth asking, by the simulator's own output.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "support.hpp"

using nlohmann::json;
using namespace ptv::test::exercises;

namespace {

std::string key_of(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// Checks one question against its command's output; returns that output.
json check_question(const json& q) {
    const uint64_t seed = q["seed"];
    CHECK(q["id"] == q["module"].get<std::string>() + "-" + std::to_string(seed));
    const std::string command = q["command"];
    CHECK(command.find(" -s " + std::to_string(seed) + " ") != std::string::npos);
    CHECK(command.ends_with(" -c"));
    const json out = run_command(command);
    const auto pointers = q["source"]["pointers"].get<std::vector<std::string>>();
    REQUIRE_FALSE(pointers.empty());
    if (q["type"] == "numerical") {
        REQUIRE(pointers.size() == 1);
        const json& v = out.at(json::json_pointer(pointers[0]));
        CHECK(q["answer"].get<double>() == v.get<double>() * q["source"]["scale"].get<double>());
        // Exact where the answer is an integer; otherwise a stated reason.
        if (v.is_number_integer()) CHECK(q["tolerance"].get<double>() == 0);
        if (q["tolerance"].get<double>() > 0)
            CHECK_FALSE(q["tolerance_why"].get<std::string>().empty());
    } else {
        REQUIRE(q["type"] == "multichoice");
        std::string key;
        for (const auto& p : pointers)
            key += (key.empty() ? "" : ", ") + key_of(out.at(json::json_pointer(p)));
        int right = 0;
        std::set<std::string> keys;
        for (const auto& c : q["choices"]) {
            const double f = c["fraction"];
            CHECK((f == 0 || f == 50 || f == 100));
            if (f == 100) {
                ++right;
                CHECK(c["key"] == key);
            }
            keys.insert(c["key"].get<std::string>());
        }
        CHECK(right == 1);
        CHECK(keys.size() == q["choices"].size());
    }
    return out;
}

}  // namespace

TEST_CASE("every exported answer is what the simulator's -c --json says, for every module") {
    for (const auto& module : kModules) {
        CAPTURE(module);
        const json b = bank(module, 8, 11);
        CHECK(b["format"] == "ptv-exercises");
        CHECK(b["module"] == module);
        REQUIRE(b["questions"].size() == 8);
        uint64_t next = 11;
        for (const auto& q : b["questions"]) {
            CAPTURE(q["id"].get<std::string>());
            // Seeds walk upwards from SEED; each skipped one is named.
            const uint64_t seed = q["seed"];
            CHECK(seed == next + q["skipped"].size());
            for (size_t k = 0; k < q["skipped"].size(); ++k)
                CHECK(q["skipped"][k].get<std::string>().starts_with(
                    "seed " + std::to_string(next + k) + " skipped: "));
            next = seed + 1;
            check_question(q);
        }
    }
}

TEST_CASE("threads: every problem contains a blocking call") {
    const json b = bank("threads", 8, 0);
    for (const auto& q : b["questions"]) {
        const json out = run_command(q["command"]);
        bool blocks = false;
        for (const auto& t : out["workload"])
            blocks = blocks || t.get<std::string>().find('b') != std::string::npos;
        CHECK(blocks);
    }
}

TEST_CASE("servers: in every problem some request waits under the architecture asked about") {
    const json b = bank("servers", 8, 0);
    for (const auto& q : b["questions"]) {
        const std::string ptr = q["source"]["pointers"][0];
        REQUIRE(ptr.starts_with("/architectures/"));
        const size_t ai = std::stoul(ptr.substr(15));
        const json out = run_command(q["command"]);
        bool waits = false;
        for (const auto& r : out["architectures"][ai]["requests"])
            waits = waits || r["cpu_start"].get<int>() > r["arrive"].get<int>();
        CHECK(waits);
        CHECK(q["title"].get<std::string>().starts_with(
            out["question"]["architecture"].get<std::string>()));
    }
}

TEST_CASE("migration: pre-copy converges or plateaus, post-copy faults") {
    int precopy = 0;
    const json b = bank("migration", 12, 0);
    for (const auto& q : b["questions"]) {
        const json out = run_command(q["command"]);
        const std::string policy = out["config"]["policy"];
        const json& a = out["answers"];
        if (policy == "precopy") {
            ++precopy;
            const auto& rounds = a["rounds"];
            const bool plateau = !a["plateau"].is_null();
            const bool converges =
                rounds.size() >= 2 && rounds.back()["pages_dirtied"].get<uint64_t>() <
                                          rounds.front()["pages_dirtied"].get<uint64_t>();
            CHECK((plateau || converges));
        }
        if (policy == "postcopy" || policy == "hybrid")
            CHECK(a["postcopy"]["remote_faults"].get<uint64_t>() > 0);
    }
    CHECK(precopy > 0);
}

TEST_CASE("vmm: a question on a sequence mixes instructions that trap with ones that do not") {
    int sequences = 0;
    const json b = bank("vmm", 10, 0);
    for (const auto& q : b["questions"]) {
        if (q["type"] != "numerical") continue;
        ++sequences;
        const json out = run_command(q["command"]);
        // The guest's last line is the exit; the sequence's traps are more
        // than that one and fewer than one per line.
        const uint64_t traps = out["answers"]["trap_emulate"]["traps"];
        CHECK(traps > 1);
        CHECK(traps < out["guest"].size());
    }
    CHECK(sequences > 0);
}

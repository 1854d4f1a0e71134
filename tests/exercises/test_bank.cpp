// Drawing a bank: the seed walk with its skips (a generator of the test's
// own plugs in), a real skip named, and bad options as one line, status 2.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "ptv/common/error.hpp"
#include "ptv/exercises/export.hpp"
#include "ptv/exercises/generator.hpp"
#include "ptv/threads/sim/workload.hpp"
#include "support.hpp"

namespace ex = ptv::exercises;
using namespace ptv::test::exercises;

namespace {

// Only multiples of three are worth asking here.
class EveryThird : public ex::Generator {
  public:
    std::string module() const override { return "third"; }
    ex::Attempt make(uint64_t seed) const override {
        if (seed % 3) return {std::nullopt, "not a multiple of 3"};
        ex::Question q;
        q.id = "third-" + std::to_string(seed);
        q.module = module();
        q.seed = seed;
        q.command = "ptv none -s " + std::to_string(seed) + " -c";
        q.title = "a third";
        q.text = "What is the seed divided by 3?";
        q.answer = double(seed / 3);
        return {q, ""};
    }
};

}  // namespace

TEST_CASE("a generator of one's own plugs into the registry and the seed walk") {
    ex::GeneratorRegistry r = ex::GeneratorRegistry::builtin();
    r.add(std::make_unique<EveryThird>());
    CHECK(r.names() == "threads, servers, vmm, migration, bindings or third");
    const ex::Bank b = ex::make_bank(r.find("third"), 3, 4);
    REQUIRE(b.questions.size() == 3);
    CHECK(b.questions[0].seed == 6);
    CHECK(b.questions[0].skipped ==
          std::vector<std::string>{"seed 4 skipped: not a multiple of 3",
                                   "seed 5 skipped: not a multiple of 3"});
    CHECK(b.questions[1].seed == 9);
    CHECK(b.questions[2].seed == 12);
    CHECK(b.questions[2].answer == 4);
    // Every format writes it.
    CHECK(ex::export_bank(b, "gift").find("::third-6\\: a third::") != std::string::npos);
    CHECK(ex::export_bank(b, "moodle-xml").find("<text>2</text>") != std::string::npos);
    CHECK_THROWS_AS(r.find("fourth"), ptv::UsageError);
    CHECK_THROWS_AS(ex::make_bank(r.find("third"), 0, 0), ptv::UsageError);
    CHECK_THROWS_AS(ex::make_bank(r.find("third"), ex::kMaxCount + 1, 0), ptv::UsageError);
}

TEST_CASE("threads: a seed whose workload never blocks is skipped, and the bank says so") {
    namespace ts = ptv::threads::sim;
    uint64_t s = 0;
    auto blocks = [](const ts::Workload& w) {
        return std::any_of(w.begin(), w.end(), [](const auto& t) {
            return std::any_of(t.begin(), t.end(),
                               [](const ts::Burst& b) { return b.kind == ts::Burst::Block; });
        });
    };
    while (blocks(ts::generate_workload(s))) ++s;
    const auto b = bank("threads", 1, s);
    const auto& q = b["questions"][0];
    CHECK(q["seed"].get<uint64_t>() > s);
    CHECK(q["skipped"][0] == "seed " + std::to_string(s) + " skipped: no blocking call");
}

TEST_CASE("export: bad options are one line and status 2, and leave no file") {
    ptv::test::TempDir dir;
    auto bad = [](const ptv::test::Completed& c, const std::string& part) {
        INFO(c.err);
        CHECK(c.status == 2);
        CHECK(lines(c.err) == 1);
        CHECK(c.err.find(part) != std::string::npos);
        CHECK(c.out.empty());
    };
    bad(export_bank("scheduling", 3, 0),
        "--module 'scheduling': use threads, servers, vmm, migration or bindings");
    bad(export_bank("threads", 3, 0, "csv"), "--format 'csv': use json, moodle-xml or gift");
    bad(export_bank("threads", 0, 0), "--count 0 is out of range: use 1..100");
    bad(export_bank("threads", 101, 0), "--count 101 is out of range: use 1..100");
    bad(run_ptv({"exercises", "export", "--module", "threads", "--count", "many"}), "many");
    const std::string nowhere = dir.file("no/such/dir/bank.xml");
    bad(run_ptv({"exercises", "export", "--module", "threads", "-o", nowhere}), "cannot open it");
    CHECK_FALSE(std::filesystem::exists(nowhere));
}

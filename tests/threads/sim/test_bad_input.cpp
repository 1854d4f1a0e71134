// Bad input: one clear line naming the mistake, exit status 2
// (docs/DESIGN.md, "Conventions"). A few through the ptv binary, the rest through the API.
#include <doctest/doctest.h>

#include <cstdio>

#include "process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/threads/sim/simulator.hpp"
#include "ptv/threads/sim/workload.hpp"

using namespace ptv::threads::sim;

namespace {

std::string parse_error(const std::string& spec) {
    try {
        parse_workload(spec);
    } catch (const ptv::UsageError& e) {
        return e.what();
    }
    return "";
}

std::string config_error(Config cfg, const std::string& spec) {
    try {
        validate(cfg, parse_workload(spec));
    } catch (const ptv::UsageError& e) {
        return e.what();
    }
    return "";
}

ptv::test::Completed ptv_sim(std::vector<std::string> args) {
    std::vector<std::string> argv{ptv::test::bin("ptv"), "threads", "sim"};
    argv.insert(argv.end(), args.begin(), args.end());
    return ptv::test::run(argv, {}, 20);
}

bool one_line(const std::string& s) {
    return !s.empty() && s.back() == '\n' && s.find('\n') == s.size() - 1;
}

}  // namespace

TEST_CASE("malformed SPEC") {
    CHECK(parse_error("c").find("'c' has no length") != std::string::npos);
    CHECK(parse_error("x5").find("'x5' is not a burst") != std::string::npos);
    CHECK(parse_error("c-1").find("'c-1' has no length") != std::string::npos);
    CHECK(parse_error("c0").find("at least 1 tick") != std::string::npos);
    CHECK(parse_error("c1,,c2").find("thread 1: no bursts") != std::string::npos);
    CHECK(parse_error("c1, c2,").find("thread 2: no bursts") != std::string::npos);
    CHECK(parse_error("").find("empty") != std::string::npos);
    CHECK(parse_error("   ").find("empty") != std::string::npos);
    CHECK(parse_error("b3 c1").find("starts with the block") != std::string::npos);
    CHECK(parse_error("c1 b2 b3").find("two blocks in a row") != std::string::npos);
    CHECK(parse_error("c5x").find("'c5x' has no length") != std::string::npos);
    CHECK(parse_error("c1000001").find("longer than 1000000") != std::string::npos);
    CHECK(parse_error("c99999999999999999999").find("longer than") != std::string::npos);
    CHECK(parse_error("c1 b2 c1, c4") == "");
}

TEST_CASE("absurd sizes") {
    std::string many;
    for (int i = 0; i < 1001; ++i) many += "c1,";
    many += "c1";
    CHECK(parse_error(many).find("more than 1000 threads") != std::string::npos);
    std::string big;
    for (int i = 0; i < 3; ++i) big += "c1000000 ";
    CHECK(parse_error(big).find("ticks in all") != std::string::npos);
    std::string bursts;
    for (int i = 0; i < 1001; ++i) bursts += "c1 ";
    CHECK(parse_error(bursts).find("more than 1000 bursts") != std::string::npos);
}

TEST_CASE("impossible parameters") {
    Config cfg;
    cfg.cpus = 0;
    CHECK(config_error(cfg, "c1").find("--cpus 0: a simulation needs at least one CPU") == 0);
    cfg.cpus = 65;
    CHECK(config_error(cfg, "c1").find("--cpus 65") == 0);
    cfg = {};
    cfg.model = Model::ManyToMany;
    cfg.lwps = 3;
    CHECK(config_error(cfg, "c1, c2").find("--lwps 3: more LWPs than user threads (2)") == 0);
    cfg.lwps = 0;
    CHECK(config_error(cfg, "c1, c2").find("--lwps 0") == 0);
    cfg = {};
    cfg.costs.kernel = -1;
    CHECK(config_error(cfg, "c1").find("--kernel-switch -1") == 0);
    cfg = {};
    cfg.costs.upcall = 1001;
    CHECK(config_error(cfg, "c1").find("--upcall 1001") == 0);
    cfg = {};
    cfg.model = Model::Activations;
    cfg.quantum = 2;
    CHECK(config_error(cfg, "c1").find("--quantum") == 0);
    CHECK_THROWS_AS(parse_model("two-to-one"), ptv::UsageError);
}

TEST_CASE("through ptv: one line, exit 2") {
    struct Bad {
        std::vector<std::string> args;
        std::string says;
    };
    const Bad bad[] = {
        {{"--workload", "x5"}, "ptv: --workload: thread 0: 'x5' is not a burst"},
        {{"--workload", "c1, , c2"}, "ptv: --workload: thread 1: no bursts"},
        {{"--cpus", "0", "--workload", "c1"}, "ptv: --cpus 0: a simulation needs"},
        {{"--threads", "2", "--workload", "c1, c2, c3"},
         "ptv: --threads 2 but --workload describes 3 threads"},
        {{"--model", "many-to-many", "--lwps", "4", "--workload", "c1, c2"},
         "ptv: --lwps 4: more LWPs than user threads"},
        {{"--threads", "1001"}, "ptv: --threads 1001: give 1 to 1000 threads"},
        {{"--model", "fibers"}, "ptv: --model fibers: unknown model"},
        {{"--cpus", "two"}, "ptv: "},
        {{"-s", "-1"}, "ptv: --seed: '-1' is not a whole number"},
        {{"--workload", "c1", "--dot", "/nonexistent-dir/m.dot"}, "ptv: --dot /nonexistent-dir"},
    };
    for (const auto& b : bad) {
        auto r = ptv_sim(b.args);
        CAPTURE(b.args.back());
        CAPTURE(r.err);
        CHECK(r.status == 2);
        CHECK(r.out == "");
        CHECK(one_line(r.err));
        CHECK(r.err.rfind(b.says, 0) == 0);
    }
}

TEST_CASE("through ptv: a good run, -c and --json") {
    auto q = ptv_sim({"--workload", "c5 b10 c3, c4, c2 b2 c2"});
    CHECK(q.status == 0);
    CHECK(q.out.find("Questions:") != std::string::npos);
    CHECK(q.out.find("Answers:") == std::string::npos);
    auto a = ptv_sim({"--workload", "c5 b10 c3, c4, c2 b2 c2", "-c"});
    CHECK(a.status == 0);
    CHECK(a.out.find("2. U0 18, U1 22, U2 28") != std::string::npos);
    CHECK(a.out.find("3. 16 / (1 x 28) = 57.1%") != std::string::npos);
    auto j =
        ptv_sim({"--model", "one-to-one", "--workload", "c5 b10 c3, c4, c2 b2 c2", "-c", "--json"});
    CHECK(j.status == 0);
    auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["makespan"] == 22);
    CHECK(doc["finish"] == nlohmann::json::array({19, 10, 22}));
}

TEST_CASE("through ptv: --trace and --dot") {
    ptv::test::TempDir dir;
    auto r =
        ptv_sim({"--model", "many-to-many", "--lwps", "2", "--workload", "c5 b10 c3, c4, c2 b2 c2",
                 "--trace", dir.file("t.json"), "--dot", dir.file("m.dot")});
    REQUIRE(r.status == 0);
    auto tr = ptv::trace::load(dir.file("t.json"));
    CHECK(tr.error == "");
    int spans = 0;
    for (const auto& ev : tr.events)
        if (ev.value("ph", "") == "X") {
            CHECK(ev["cat"] == "thread");
            ++spans;
        }
    CHECK(spans > 0);
    CHECK(tr.metadata["tick_us"] == 1000.0);
    std::FILE* f = std::fopen(dir.file("m.dot").c_str(), "r");
    REQUIRE(f);
    char buf[4096] = {};
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    std::string dot(buf, n);
    CHECK(dot.find("U0 -> L0 [label=\"8\"]") != std::string::npos);
    CHECK(dot.find("U2 -> L1 [label=\"4\"]") != std::string::npos);
    CHECK(dot.find("L1 -> CPU0 [label=\"8\"]") != std::string::npos);
    auto d = ptv_sim({"--model", "many-to-many", "--lwps", "2", "--workload",
                      "c5 b10 c3, c4, c2 b2 c2", "--dot", dir.path + "/no/such/dir/m.dot"});
    CHECK(d.status == 2);
}

TEST_CASE("through ptv: a seed makes the problem, twice the same") {
    auto a = ptv_sim({"--threads", "3", "-s", "5", "--model", "activations", "--cpus", "2", "-c"});
    auto b = ptv_sim({"--threads", "3", "-s", "5", "--model", "activations", "--cpus", "2", "-c"});
    CHECK(a.status == 0);
    CHECK(a.out == b.out);
    CHECK(a.out.find("Seed: 5 (workload generated from it)") != std::string::npos);
    CHECK(a.out.find("  U2: ") != std::string::npos);
    CHECK(a.out.find("  U3: ") == std::string::npos);
}

// `ptv exercises check BANK.json ANSWERS.json`: full marks for the bank's
// own answers, none for wrong ones, half for the book's alternatives, and
// one line with status 2 for a file that is not what it should be.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>

#include "support.hpp"

using nlohmann::json;
using namespace ptv::test::exercises;

namespace {

struct Files {
    ptv::test::TempDir dir;
    std::string bank, answers;
};

// Writes the bank of MODULE and the answers `make` gives for it.
template <typename F>
Files files(const std::string& module, int count, uint64_t seed, F make) {
    Files f;
    f.bank = f.dir.file("bank.json");
    f.answers = f.dir.file("answers.json");
    const auto c = export_bank(module, count, seed);
    REQUIRE(c.status == 0);
    std::ofstream(f.bank) << c.out;
    std::ofstream(f.answers) << make(json::parse(c.out)).dump();
    return f;
}

ptv::test::Completed check(const Files& f) {
    return run_ptv({"exercises", "check", f.bank, f.answers});
}

json right_answers(const json& bank) {
    json a = json::object();
    for (const auto& q : bank["questions"]) {
        if (q["type"] == "numerical") {
            a[q["id"].get<std::string>()] = q["answer"];
        } else {
            for (const auto& c : q["choices"])
                if (c["fraction"] == 100) a[q["id"].get<std::string>()] = c["key"];
        }
    }
    return a;
}

json wrong_answers(const json& bank) {
    json a = json::object();
    for (const auto& q : bank["questions"]) {
        if (q["type"] == "numerical") {
            a[q["id"].get<std::string>()] =
                q["answer"].get<double>() + q["tolerance"].get<double>() + 1;
        } else {
            for (const auto& c : q["choices"])
                if (c["fraction"] == 0) a[q["id"].get<std::string>()] = c["key"];
        }
    }
    return a;
}

}  // namespace

TEST_CASE("check: the bank's own answers earn full marks, wrong ones nothing, for every module") {
    for (const auto& module : kModules) {
        CAPTURE(module);
        const auto right = check(files(module, 6, 7, right_answers));
        INFO(right.out, right.err);
        REQUIRE(right.status == 0);
        CHECK(right.out.ends_with("Total: 6/6 (100.0%)\n"));
        CHECK(lines(right.out) == 7);  // a line per question, then the total
        const auto wrong = check(files(module, 6, 7, wrong_answers));
        REQUIRE(wrong.status == 0);
        CHECK(wrong.out.ends_with("Total: 0/6 (0.0%)\n"));
        CHECK(wrong.out.find("is wrong") != std::string::npos);
    }
}

TEST_CASE("check: an alternative of Fig. 3-19 earns half and a missing answer nothing") {
    std::string id;
    const auto f = files("bindings", 12, 0, [&](const json& bank) {
        json a = json::object();
        for (const auto& q : bank["questions"])
            for (const auto& c : q["choices"])
                if (c["fraction"] == 50 && id.empty()) {
                    id = q["id"];
                    a[id] = c["key"];
                }
        return a;
    });
    REQUIRE_FALSE(id.empty());
    const auto c = check(f);
    REQUIRE(c.status == 0);
    CHECK(c.out.find(id + ": \"") != std::string::npos);
    CHECK(c.out.find("earns 50%") != std::string::npos);
    CHECK(c.out.find("no answer (0/1)") != std::string::npos);
    CHECK(c.out.ends_with("Total: 0.5/12 (4.2%)\n"));
}

TEST_CASE("check: a numerical answer within its tolerance is right, as a number or a string") {
    // Threads utilisation questions have a tolerance of 0.1 (percent).
    int tolerant = 0;
    const auto f = files("threads", 30, 0, [&](const json& bank) {
        json a = json::object();
        for (const auto& q : bank["questions"])
            if (q["type"] == "numerical" && q["tolerance"].get<double>() > 0) {
                ++tolerant;
                a[q["id"].get<std::string>()] =
                    std::to_string(q["answer"].get<double>() - q["tolerance"].get<double>() / 2);
            }
        return a;
    });
    REQUIRE(tolerant > 0);
    const auto c = check(f);
    REQUIRE(c.status == 0);
    CHECK(c.out.find(fmt::format("Total: {}/30", tolerant)) != std::string::npos);
}

TEST_CASE("check: bad files are one line and status 2") {
    Files f = files("bindings", 3, 0, right_answers);
    auto one_line = [](const ptv::test::Completed& c, const std::string& part) {
        INFO(c.err);
        CHECK(c.status == 2);
        CHECK(lines(c.err) == 1);
        CHECK(c.err.find(part) != std::string::npos);
        CHECK(c.out.empty());
    };
    std::ofstream(f.answers) << R"({"bindings-999": "MV"})";
    one_line(check(f), "'bindings-999', which is not a question of this bank");
    std::ofstream(f.answers) << "[1, 2]";
    one_line(check(f), "not a JSON object");
    std::ofstream(f.answers) << "{\"bindings-0\": ";
    one_line(check(f), "not JSON");
    std::ofstream(f.answers) << "{}";
    std::ofstream(f.bank) << R"({"questions": []})";
    one_line(check(f), "not a question bank");
    std::ofstream(f.bank)
        << R"({"format": "ptv-exercises", "module": "x", "seed": 0, "questions": [{"id": "x-0"}]})";
    one_line(check(f), "question 1: no \"module\"");
    one_line(run_ptv({"exercises", "check", f.dir.file("missing.json"), f.answers}),
             "cannot read it");
}

// `ptv vmm problem`: the CPU model classifies instructions as Popek &
// Goldberg (1974) and Robin & Irvine (2000) do, and counts the traps and
// exits of a guest exactly.
#include <doctest/doctest.h>

#include "ptv/vmm/problem/problem.hpp"
#include "ptv/vmm/problem/snippet.hpp"
#include "support.hpp"

namespace vp = ptv::vmm::problem;
using namespace ptv::test::exercises;

namespace {

vp::Class class_of(const std::string& instruction) {
    const auto& all = vp::snippets();
    for (size_t i = 0; i < all.size(); ++i)
        if (all[i].instruction == instruction) return vp::classify(i).cls;
    FAIL("no snippet " << instruction);
    return vp::Class::Innocuous;
}

}  // namespace

TEST_CASE("the model classifies: Robin & Irvine's instructions are sensitive but do not trap") {
    for (const char* i : {"pushfd", "popfd", "mov eax, cs", "push cs", "sgdt [0x100800]",
                          "sidt [0x100800]", "smsw eax"}) {
        CAPTURE(i);
        CHECK(class_of(i) == vp::Class::SensitiveUnprivileged);
    }
    for (const char* i : {"cli", "sti", "mov eax, cr0", "mov cr3, eax", "in al, dx", "out 0x80, al",
                          "wbinvd", "clts", "rdmsr"}) {
        CAPTURE(i);
        CHECK(class_of(i) == vp::Class::Privileged);
    }
    for (const char* i : {"add eax, ebx", "mov eax, [0x100800]", "lea eax, [ebx+4]"}) {
        CAPTURE(i);
        CHECK(class_of(i) == vp::Class::Innocuous);
    }
    // A privileged instruction traps once, and the VMM makes it invisible.
    const auto& all = vp::snippets();
    for (size_t i = 0; i < all.size(); ++i) {
        const vp::Classification& c = vp::classify(i);
        CAPTURE(all[i].instruction);
        CHECK(c.sensitive == (c.cls != vp::Class::Innocuous));
        CHECK(c.virtualized == (c.cls != vp::Class::SensitiveUnprivileged));
        if (c.privileged) CHECK(c.traps == 1);
    }
}

TEST_CASE("a guest of no instructions: its one OUT is one trap and one VM exit") {
    vp::Problem p;
    const vp::SequenceRun r = vp::run_sequence(p);
    CHECK(r.traps == 1);
    CHECK(r.exits == 1);
    CHECK(r.source.size() == 2);
}

TEST_CASE("ptv vmm problem: the problem, the answers with -c, the same for the same seed") {
    const auto q = run_ptv({"vmm", "problem", "-s", "5", "--json"});
    REQUIRE(q.status == 0);
    const auto jq = nlohmann::json::parse(q.out);
    CHECK(jq["seed"] == 5);
    CHECK_FALSE(jq.contains("answers"));
    const auto a = run_ptv({"vmm", "problem", "-s", "5", "-c", "--json"});
    REQUIRE(a.status == 0);
    const auto ja = nlohmann::json::parse(a.out);
    CHECK(ja["guest"] == jq["guest"]);
    CHECK(ja["answers"]["classification"]["class"].is_string());
    CHECK(a.out == run_ptv({"vmm", "problem", "-s", "5", "-c", "--json"}).out);
    const auto text = run_ptv({"vmm", "problem", "-s", "5"});
    CHECK(text.out.find("Run again with -c") != std::string::npos);
    const auto bad = run_ptv({"vmm", "problem", "-s", "-1"});
    CHECK(bad.status == 2);
}

// Fig. 3-19 and the exercises drawn from it (and from Fig. 3-18).
#include <doctest/doctest.h>

#include <set>

#include "ptv/common/error.hpp"
#include "ptv/migration/sim/bindings.hpp"

using namespace ptv::migration::sim;
using enum Action;

TEST_CASE("bindings: Fig. 3-19, cell by cell (the usual action first)") {
    using B = Binding;
    using A = Attachment;
    CHECK(actions(B::ByIdentifier, A::Unattached) == std::vector<Action>{MV, GR});
    CHECK(actions(B::ByIdentifier, A::Fastened) == std::vector<Action>{GR, MV});
    CHECK(actions(B::ByIdentifier, A::Fixed) == std::vector<Action>{GR});
    CHECK(actions(B::ByValue, A::Unattached) == std::vector<Action>{CP, MV, GR});
    CHECK(actions(B::ByValue, A::Fastened) == std::vector<Action>{GR, CP});
    CHECK(actions(B::ByValue, A::Fixed) == std::vector<Action>{GR});
    CHECK(actions(B::ByType, A::Unattached) == std::vector<Action>{RB, MV, CP});
    CHECK(actions(B::ByType, A::Fastened) == std::vector<Action>{RB, GR, CP});
    CHECK(actions(B::ByType, A::Fixed) == std::vector<Action>{RB, GR});
    const std::string t = render_table();
    CHECK(t.find("GR (or MV)") != std::string::npos);
    CHECK(t.find("RB (or GR, CP)") != std::string::npos);
    CHECK(t.find("establish a global systemwide reference") != std::string::npos);
}

TEST_CASE("bindings: the catalogue covers every cell, twice") {
    int cells[3][3] = {};
    for (const auto& r : resource_catalogue()) ++cells[int(r.binding)][int(r.attachment)];
    for (auto& row : cells)
        for (int n : row) CHECK(n >= 2);
    std::set<std::pair<int, int>> kinds;
    for (const auto& s : scenario_catalogue()) kinds.insert({int(s.mobility), int(s.initiative)});
    CHECK(kinds.size() == 4);
}

TEST_CASE("bindings: exercises are drawn from the seed") {
    auto a = make_exercises(3, 8, "mixed");
    REQUIRE(a.size() == 8);
    CHECK(render_exercises(3, a, true) == render_exercises(3, make_exercises(3, 8, "mixed"), true));
    CHECK(render_exercises(3, a, false) !=
          render_exercises(4, make_exercises(4, 8, "mixed"), false));
    CHECK(a[2].kind == Exercise::Kind::Mobility);
    CHECK(a[0].kind == Exercise::Kind::Binding);
    // No resource repeats until the catalogue is used up.
    auto b = make_exercises(5, int(resource_catalogue().size()), "binding");
    std::set<size_t> seen;
    for (const auto& e : b) seen.insert(e.index);
    CHECK(seen.size() == resource_catalogue().size());
    for (const auto& e : make_exercises(5, 10, "mobility"))
        CHECK(e.kind == Exercise::Kind::Mobility);
    CHECK_THROWS_AS(make_exercises(0, 0, "mixed"), ptv::UsageError);
    CHECK_THROWS_AS(make_exercises(0, 101, "mixed"), ptv::UsageError);
    CHECK_THROWS_AS(make_exercises(0, 5, "bindings"), ptv::UsageError);
}

TEST_CASE("bindings: an answer names the action, the binding, the attachment, the cell") {
    // Find the large database (by identifier, fastened -> GR or MV).
    const auto& cat = resource_catalogue();
    size_t db = 0;
    while (std::string(cat[db].name).find("large database") == std::string::npos) ++db;
    const std::string s = render_exercises(0, {{Exercise::Kind::Binding, db}}, true);
    CHECK(s.find("Answer: GR (establish a global systemwide reference); or MV (move the "
                 "resource).") != std::string::npos);
    CHECK(s.find("Binding: by identifier") != std::string::npos);
    CHECK(s.find("Attachment: fastened") != std::string::npos);
    CHECK(s.find("Fig. 3-19: by identifier x fastened -> GR (or MV).") != std::string::npos);
    CHECK(render_exercises(0, {{Exercise::Kind::Binding, db}}, false).find("Answer") ==
          std::string::npos);
    auto j = exercises_json(0, {{Exercise::Kind::Binding, db}}, true);
    CHECK(j["exercises"][0]["actions"] == nlohmann::json::array({"GR", "MV"}));
    CHECK(table_json()["table"]["by type"]["fixed"] == nlohmann::json::array({"RB", "GR"}));
}

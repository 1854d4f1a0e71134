// Fig. 3-19 and the exercises drawn from it (and from Fig. 3-18).
#include <doctest/doctest.h>

#include <set>

#include "ptv/common/error.hpp"
#include "ptv/migration/sim/bindings.hpp"

using namespace ptv::migration::sim;
using enum Action;

TEST_CASE("bindings: Fig. 3-19, cell by cell (the usual action first)") {
    using A = Attachment;
    using Id = BindingByIdentifier;
    using Value = BindingByValue;
    using Type = BindingByType;
    CHECK(Id::actions(A::Unattached) == std::vector<Action>{MV, GR});
    CHECK(Id::actions(A::Fastened) == std::vector<Action>{GR, MV});
    CHECK(Id::actions(A::Fixed) == std::vector<Action>{GR});
    CHECK(Value::actions(A::Unattached) == std::vector<Action>{CP, MV, GR});
    CHECK(Value::actions(A::Fastened) == std::vector<Action>{GR, CP});
    CHECK(Value::actions(A::Fixed) == std::vector<Action>{GR});
    CHECK(Type::actions(A::Unattached) == std::vector<Action>{RB, MV, CP});
    CHECK(Type::actions(A::Fastened) == std::vector<Action>{RB, GR, CP});
    CHECK(Type::actions(A::Fixed) == std::vector<Action>{RB, GR});
    // Through the variant, as the table and the exercises see a binding.
    CHECK(actions(Binding(Value{}), A::Fastened) == std::vector<Action>{GR, CP});
    CHECK(std::string(to_string(Binding(Id{}))) == "by identifier");
    CHECK(std::string(to_string(Binding(Type{}))) == "by type");
    REQUIRE(kBindings.size() == 3);
    CHECK(std::holds_alternative<Id>(kBindings[0]));
    CHECK(std::holds_alternative<Value>(kBindings[1]));
    CHECK(std::holds_alternative<Type>(kBindings[2]));
    const std::string t = render_table();
    CHECK(t.find("GR (or MV)") != std::string::npos);
    CHECK(t.find("RB (or GR, CP)") != std::string::npos);
    CHECK(t.find("establish a global systemwide reference") != std::string::npos);
}

TEST_CASE("bindings: the catalogue covers every cell, twice") {
    int cells[3][3] = {};
    for (const auto& r : resource_catalogue()) ++cells[r.binding.index()][int(r.attachment)];
    for (auto& row : cells)
        for (int n : row) CHECK(n >= 2);
    std::set<std::pair<int, int>> kinds;
    for (const auto& s : scenario_catalogue())
        kinds.insert({int(s.mobility.index()), int(s.initiative)});
    CHECK(kinds.size() == 4);
}

TEST_CASE("bindings: Fig. 3-18, what weak and strong mobility move") {
    // Weak: the code segment only; strong: the execution segment too.
    const Mobility weak = WeakMobility{};
    const Mobility clone = StrongMobility{.cloning = true};
    CHECK(std::string(to_string(weak)) == "weak");
    CHECK(std::string(to_string(clone)) == "strong");
    CHECK(moves(weak).code);
    CHECK_FALSE(moves(weak).execution_state);
    CHECK(moves(clone).code);
    CHECK(moves(clone).execution_state);
    CHECK(std::string(to_string(Initiative::Receiver)) == "receiver");
    // The applet (weak, receiver) and the remote fork (strong, cloning).
    const auto& cat = scenario_catalogue();
    const auto find = [&cat](const char* words) {
        size_t i = 0;
        while (std::string(cat[i].text).find(words) == std::string::npos) ++i;
        return i;
    };
    const size_t applet = find("Java applet"), fork = find("remote fork");
    CHECK(std::holds_alternative<WeakMobility>(cat[applet].mobility));
    CHECK(render_exercises(0, {{Exercise::Kind::Mobility, applet}}, true)
              .find("Answer: weak mobility, receiver-initiated -- only code moves") !=
          std::string::npos);
    REQUIRE(std::holds_alternative<StrongMobility>(cat[fork].mobility));
    CHECK(std::get<StrongMobility>(cat[fork].mobility).cloning);
    CHECK(render_exercises(0, {{Exercise::Kind::Mobility, fork}}, true)
              .find("Answer: strong mobility, sender-initiated, cloning -- the execution") !=
          std::string::npos);
    auto j = exercises_json(0, {{Exercise::Kind::Mobility, applet}}, true)["exercises"][0];
    CHECK(j["mobility"] == "weak");
    CHECK_FALSE(j.contains("cloning"));
    j = exercises_json(0, {{Exercise::Kind::Mobility, fork}}, true)["exercises"][0];
    CHECK(j["mobility"] == "strong");
    CHECK(j["cloning"] == true);
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

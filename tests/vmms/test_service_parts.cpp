// Parts of the management service without a service: the restart rule
// (README.md, "Supervision") with exact delays, and the console
// multiplexer's backlog and fan-out.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "console_mux.hpp"
#include "restart_policy.hpp"

using namespace ptv::vmms;

TEST_CASE("vmms restart policy: at once, then 100, 200, 400, 800 ms, and the sixth is a crash loop") {
    Vm vm;
    const int64_t t0 = 1'000'000;
    vm.started_unix_ms = t0;
    const uint64_t expected[] = {0, 100, 200, 400, 800};
    for (int i = 0; i < 5; ++i) {
        const RestartDecision d = decide_restart(vm, t0 + i * 1000, true);
        CHECK_FALSE(d.give_up);
        CHECK(d.delay_ms == expected[i]);
        CHECK(vm.consecutive_failures == unsigned(i + 1));
        CHECK(vm.restart_times_ms.size() == size_t(i + 1));
        vm.started_unix_ms = t0 + i * 1000;  // each worker dies a moment after it started
    }
    const RestartDecision sixth = decide_restart(vm, t0 + 5000, true);
    CHECK(sixth.give_up);
    CHECK(vm.restart_times_ms.size() == 5);
    // A minute later the old restarts no longer count.
    const RestartDecision later = decide_restart(vm, t0 + 64'001, true);
    CHECK_FALSE(later.give_up);
    CHECK(vm.restart_times_ms.size() == 1);
}

TEST_CASE("vmms restart policy: a stable run resets the back-off, a clean end does not count") {
    Vm vm;
    vm.consecutive_failures = 3;
    vm.started_unix_ms = 500;
    CHECK(decide_restart(vm, 500 + 10'001, false).delay_ms == 0);  // ran > 10 s
    CHECK(vm.consecutive_failures == 0);                           // and ended cleanly
    vm.consecutive_failures = 20;
    vm.started_unix_ms = 20'000;
    CHECK(decide_restart(vm, 20'100, true).delay_ms == kBackoffMaxMs);
    CHECK(vm.consecutive_failures == 21);
}

TEST_CASE("vmms console multiplexer: fan-out, a 64 KiB backlog, detach and events") {
    std::vector<std::pair<int, nlohmann::json>> sent;
    ConsoleMux* self = nullptr;
    ConsoleMux mux([&](int client, const nlohmann::json& m) {
        sent.emplace_back(client, m);
        if (client == 9) self->detach("a", 9);  // a client whose send fails goes
    });
    self = &mux;
    mux.attach("a", 5);
    mux.attach("a", 9);
    mux.attach("b", 6);
    mux.output("a", "hi\n");
    REQUIRE(sent.size() == 2);
    CHECK(sent[0] == std::pair<int, nlohmann::json>{5, {{"console", "hi\n"}}});
    CHECK(sent[1] == std::pair<int, nlohmann::json>{9, {{"console", "hi\n"}}});
    CHECK(mux.backlog("a") == "hi\n");
    CHECK(mux.backlog("b").empty());

    sent.clear();
    mux.output("a", std::string(70'000, 'x') + "end");
    CHECK(sent.size() == 1);  // 9 detached itself
    CHECK(mux.backlog("a").size() == ConsoleMux::kBacklog);
    CHECK(mux.backlog("a").substr(ConsoleMux::kBacklog - 4) == "xend");

    sent.clear();
    mux.event("a", {{"event", "worker-died"}});
    CHECK(sent == std::vector<std::pair<int, nlohmann::json>>{{5, {{"event", "worker-died"}}}});
    mux.clear("a");
    CHECK(mux.backlog("a").empty());
    mux.forget("a");
    sent.clear();
    mux.event("a", {{"event", "deleted"}});
    CHECK(sent.empty());
}

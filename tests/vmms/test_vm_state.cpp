// The VM lifecycle of the management service (vmms/src/vm_state.hpp)
// without a service: every state keeps its name, every (state, event) pair
// is either a legal move to the state the README describes or a one-line
// refusal naming the state, the request and what to do.
#include <doctest/doctest.h>

#include <map>
#include <utility>

#include "vm_state.hpp"

using namespace ptv::vmms;

namespace {

constexpr VmState kAll[] = {VmState::Stopped, VmState::Starting,   VmState::Running,
                            VmState::Paused,  VmState::Restarting, VmState::Crashed,
                            VmState::Failed,  VmState::Orphaned};
constexpr VmEvent kEvents[] = {VmEvent::Start,      VmEvent::Runs,  VmEvent::Paused,
                               VmEvent::WorkerGone, VmEvent::Crash, VmEvent::Restart,
                               VmEvent::GiveUp,     VmEvent::Stop,  VmEvent::Silent,
                               VmEvent::Pause,      VmEvent::Resume};

}  // namespace

TEST_CASE("vmms lifecycle: state names are those of the JSON rows and vm.json") {
    const std::pair<VmState, const char*> names[] = {
        {VmState::Stopped, "stopped"},       {VmState::Starting, "starting"},
        {VmState::Running, "running"},       {VmState::Paused, "paused"},
        {VmState::Restarting, "restarting"}, {VmState::Crashed, "crashed"},
        {VmState::Failed, "failed"},         {VmState::Orphaned, "orphaned"}};
    for (auto [state, name] : names) {
        CHECK(state_name(state) == name);
        CHECK(parse_state(name) == state);
    }
    CHECK_FALSE(parse_state("Running").has_value());
    CHECK_FALSE(parse_state("").has_value());
}

TEST_CASE("vmms lifecycle: the legal moves, and nothing else") {
    using S = VmState;
    using E = VmEvent;
    // (from, event) -> to, every legal pair; all the others are refused.
    const std::map<std::pair<S, E>, S> legal = {
        {{S::Stopped, E::Start}, S::Starting},        {{S::Crashed, E::Start}, S::Starting},
        {{S::Failed, E::Start}, S::Starting},         {{S::Restarting, E::Start}, S::Starting},
        {{S::Starting, E::Runs}, S::Running},         {{S::Running, E::Runs}, S::Running},
        {{S::Paused, E::Runs}, S::Running},           {{S::Orphaned, E::Runs}, S::Running},
        {{S::Starting, E::Paused}, S::Paused},        {{S::Running, E::Paused}, S::Paused},
        {{S::Paused, E::Paused}, S::Paused},          {{S::Orphaned, E::Paused}, S::Paused},
        {{S::Starting, E::WorkerGone}, S::Stopped},   {{S::Running, E::WorkerGone}, S::Stopped},
        {{S::Paused, E::WorkerGone}, S::Stopped},     {{S::Orphaned, E::WorkerGone}, S::Stopped},
        {{S::Stopped, E::Crash}, S::Crashed},         {{S::Stopped, E::Restart}, S::Restarting},
        {{S::Restarting, E::Restart}, S::Restarting}, {{S::Stopped, E::GiveUp}, S::Failed},
        {{S::Restarting, E::GiveUp}, S::Failed},      {{S::Restarting, E::Stop}, S::Stopped},
        {{S::Failed, E::Stop}, S::Stopped},           {{S::Starting, E::Stop}, S::Starting},
        {{S::Running, E::Stop}, S::Running},          {{S::Paused, E::Stop}, S::Paused},
        {{S::Orphaned, E::Stop}, S::Orphaned},        {{S::Starting, E::Silent}, S::Orphaned},
        {{S::Running, E::Silent}, S::Orphaned},       {{S::Paused, E::Silent}, S::Orphaned},
        {{S::Orphaned, E::Silent}, S::Orphaned},      {{S::Running, E::Pause}, S::Running},
        {{S::Paused, E::Pause}, S::Paused},           {{S::Running, E::Resume}, S::Running},
        {{S::Paused, E::Resume}, S::Paused},
    };
    int refused = 0;
    for (S from : kAll)
        for (E event : kEvents) {
            INFO(state_name(from) << " + " << event_name(event));
            const Transition t = transition("x", from, event);
            if (auto it = legal.find({from, event}); it != legal.end()) {
                REQUIRE(t);
                CHECK(*t.to == it->second);
                CHECK(t.refusal.empty());
            } else {
                CHECK_FALSE(t);
                CHECK_FALSE(t.refusal.empty());
                CHECK(t.refusal.find('\n') == std::string::npos);
                CHECK(t.refusal.rfind("VM 'x' is " + std::string(state_name(from)) + "; cannot ",
                                      0) == 0);
                ++refused;
            }
        }
    CHECK(refused == 8 * 11 - int(legal.size()));
}

TEST_CASE("vmms lifecycle: a refused request says what to do") {
    CHECK(transition("web", VmState::Running, VmEvent::Start).refusal ==
          "VM 'web' is running; cannot start it: it has a worker already; stop it first "
          "('ptv vm stop web')");
    CHECK(transition("web", VmState::Stopped, VmEvent::Resume).refusal ==
          "VM 'web' is stopped; cannot resume it: it is not running; 'ptv vm start web' "
          "starts it");
    CHECK(transition("web", VmState::Crashed, VmEvent::Pause).refusal ==
          "VM 'web' is crashed; cannot pause it: it is not running; 'ptv vm start web' "
          "starts it");
    CHECK(transition("web", VmState::Starting, VmEvent::Pause).refusal ==
          "VM 'web' is starting; cannot pause it: wait until it runs");
    CHECK(transition("web", VmState::Orphaned, VmEvent::Resume).refusal ==
          "VM 'web' is orphaned; cannot resume it: its worker does not answer; 'ptv vm stop "
          "web' ends it");
    CHECK(transition("web", VmState::Stopped, VmEvent::Stop).refusal ==
          "VM 'web' is stopped; cannot stop it: it has no worker to stop; 'ptv vm start web' "
          "starts it");
}

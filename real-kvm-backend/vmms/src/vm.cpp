#include "vm.hpp"

#include <chrono>

namespace ptv::vmms {

int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string Vm::apply(VmEvent event) {
    Transition t = transition(name, state, event);
    if (!t) return t.refusal;
    state = *t.to;
    return "";
}

nlohmann::json Vm::to_json() const {
    return {{"name", name},
            {"guest", guest},
            {"memory_mib", memory_mib},
            {"restart", restart},
            {"cmdline", cmdline},
            {"test_fault", test_fault},
            {"id", id},
            {"state", state_name(state)},
            {"pid", pid},
            {"started_unix_ms", started_unix_ms},
            {"restarts", restarts},
            {"restart_times_ms", restart_times_ms},
            {"consecutive_failures", consecutive_failures},
            {"last_exit", last_exit},
            {"last_snapshot", last_snapshot}};
}

Vm Vm::from_json(const nlohmann::json& j) {
    Vm v;
    v.name = j.at("name").get<std::string>();
    v.guest = j.at("guest").get<std::string>();
    v.memory_mib = j.value("memory_mib", 64u);
    v.restart = j.value("restart", "never");
    v.cmdline = j.value("cmdline", "");
    v.test_fault = j.value("test_fault", "");
    v.id = j.value("id", 0);
    v.state = parse_state(j.value("state", "stopped")).value_or(VmState::Stopped);
    v.pid = j.value("pid", 0);
    v.started_unix_ms = j.value("started_unix_ms", int64_t(0));
    v.restarts = j.value("restarts", 0u);
    v.restart_times_ms = j.value("restart_times_ms", std::vector<int64_t>{});
    v.consecutive_failures = j.value("consecutive_failures", 0u);
    v.last_exit = j.value("last_exit", "");
    v.last_snapshot = j.value("last_snapshot", "");
    return v;
}

}  // namespace ptv::vmms

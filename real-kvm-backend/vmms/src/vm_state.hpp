// A VM's lifecycle as the service sees it: the states of a VM row and the
// events that move a VM between them. One function, transition(), holds
// every rule; a request or a report that does not fit the VM's state is
// refused with one line that says where the VM is, what was asked and what
// to do instead.
//
//   stopped/crashed/failed/restarting --start--> starting
//   starting/running/paused/orphaned --runs--> running,  --paused--> paused
//   starting/running/paused/orphaned --worker-gone--> stopped
//   stopped --crash--> crashed (the policy does not restart)
//   stopped/restarting --restart--> restarting (back-off, README "Supervision")
//   stopped/restarting --give-up--> failed (crash loop, or no worker to start)
//   restarting/failed --stop--> stopped;  starting/running/paused/orphaned --stop--> (worker asked)
//   starting/running/paused/orphaned --silent--> orphaned (adopted, but it does not answer)
//   running/paused --pause/resume--> unchanged (the worker's answer moves it)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ptv::vmms {

enum class VmState {
    Stopped,     // no worker; a start begins afresh (or from the last snapshot)
    Starting,    // a worker is spawned and has not said it runs
    Running,     // the worker runs the guest
    Paused,      // the worker holds the guest between two exits
    Restarting,  // the worker died; the policy restarts it after a back-off
    Crashed,     // the worker died in failure and the policy leaves it
    Failed,      // a crash loop, or a restart that could not spawn
    Orphaned,    // an adopted worker runs but does not answer on its socket
};

// What happens to a VM: a client's request or a worker's report.
enum class VmEvent {
    Start,       // spawn a worker (start, restore, a scheduled restart)
    Runs,        // the worker says the guest runs (started, resumed)
    Paused,      // the worker says the guest is paused (started --paused, paused)
    WorkerGone,  // the worker's pidfd said it has ended
    Crash,       // the policy does not restart a failed worker
    Restart,     // a restart is scheduled
    GiveUp,      // no more restarts
    Stop,        // a client's stop
    Silent,      // an adopted worker that does not answer
    Pause,       // a client's pause (the worker answers Paused)
    Resume,      // a client's resume (the worker answers Runs)
};

// The state's name in `ptv vm list`, JSON rows and vm.json.
std::string_view state_name(VmState s);
// The state of that name; nullopt for anything else.
std::optional<VmState> parse_state(std::string_view name);
// The event as the verb a message names ("start", "pause", ...).
std::string_view event_name(VmEvent e);

// The answer of transition(): the state after the event, or why not.
struct Transition {
    std::optional<VmState> to;  // empty: refused
    std::string refusal;        // one line, when refused
    explicit operator bool() const { return to.has_value(); }
};

// The VM `vm`, in state `from`, meets `event`.
Transition transition(std::string_view vm, VmState from, VmEvent event);

}  // namespace ptv::vmms

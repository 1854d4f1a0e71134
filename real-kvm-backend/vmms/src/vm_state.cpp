#include "vm_state.hpp"

#include <fmt/format.h>

#include <array>

namespace ptv::vmms {

namespace {

constexpr std::array<std::string_view, 8> kStateNames = {
    "stopped", "starting", "running", "paused", "restarting", "crashed", "failed", "orphaned"};

// A worker is there: the process lives (it may not answer: orphaned).
bool has_worker(VmState s) {
    return s == VmState::Starting || s == VmState::Running || s == VmState::Paused ||
           s == VmState::Orphaned;
}

// The guest runs or is paused, and its worker answers.
bool answers(VmState s) {
    return s == VmState::Running || s == VmState::Paused;
}

// What to do instead, for a refusal.
std::string hint(std::string_view vm, VmState from, VmEvent event) {
    switch (event) {
        case VmEvent::Start:
            return fmt::format("it has a worker already; stop it first ('ptv vm stop {}')", vm);
        case VmEvent::Stop:
            return fmt::format("it has no worker to stop; 'ptv vm start {}' starts it", vm);
        case VmEvent::Pause:
        case VmEvent::Resume:
            if (from == VmState::Starting) return "wait until it runs";
            if (from == VmState::Orphaned)
                return fmt::format("its worker does not answer; 'ptv vm stop {}' ends it", vm);
            return fmt::format("it is not running; 'ptv vm start {}' starts it", vm);
        default:
            return "the service does not do that from this state";
    }
}

}  // namespace

std::string_view state_name(VmState s) {
    return kStateNames[size_t(s)];
}

std::optional<VmState> parse_state(std::string_view name) {
    for (size_t i = 0; i < kStateNames.size(); ++i)
        if (kStateNames[i] == name) return VmState(i);
    return std::nullopt;
}

std::string_view event_name(VmEvent e) {
    switch (e) {
        case VmEvent::Start:
            return "start";
        case VmEvent::Runs:
            return "mark running";
        case VmEvent::Paused:
            return "mark paused";
        case VmEvent::WorkerGone:
            return "mark stopped";
        case VmEvent::Crash:
            return "mark crashed";
        case VmEvent::Restart:
            return "restart";
        case VmEvent::GiveUp:
            return "mark failed";
        case VmEvent::Stop:
            return "stop";
        case VmEvent::Silent:
            return "mark orphaned";
        case VmEvent::Pause:
            return "pause";
        case VmEvent::Resume:
            return "resume";
    }
    return "?";
}

Transition transition(std::string_view vm, VmState from, VmEvent event) {
    using S = VmState;
    std::optional<S> to;
    switch (event) {
        case VmEvent::Start:
            if (!has_worker(from)) to = S::Starting;
            break;
        // An adopted worker's hello says where its guest is, even after
        // the service had found it silent.
        case VmEvent::Runs:
            if (has_worker(from)) to = S::Running;
            break;
        case VmEvent::Paused:
            if (has_worker(from)) to = S::Paused;
            break;
        case VmEvent::WorkerGone:
            if (has_worker(from)) to = S::Stopped;
            break;
        case VmEvent::Crash:
            if (from == S::Stopped) to = S::Crashed;
            break;
        case VmEvent::Restart:
            if (from == S::Stopped || from == S::Restarting) to = S::Restarting;
            break;
        case VmEvent::GiveUp:
            if (from == S::Stopped || from == S::Restarting) to = S::Failed;
            break;
        case VmEvent::Stop:
            // Without a worker, a stop cancels the restart; with one, the
            // worker is asked and its end (WorkerGone) stops the VM.
            if (from == S::Restarting || from == S::Failed) to = S::Stopped;
            if (has_worker(from)) to = from;
            break;
        case VmEvent::Silent:
            if (has_worker(from)) to = S::Orphaned;
            break;
        case VmEvent::Pause:
        case VmEvent::Resume:
            if (answers(from)) to = from;
            break;
    }
    if (to) return {to, ""};
    return {std::nullopt, fmt::format("VM '{}' is {}; cannot {} it: {}", vm, state_name(from),
                                      event_name(event), hint(vm, from, event))};
}

}  // namespace ptv::vmms

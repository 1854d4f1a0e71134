// The protocol verbs (README.md, "Protocol"): each request is answered at
// once, or, for what needs a worker (start, stop, pause, resume, snapshot,
// restore), when the worker has done it (supervisor.cpp answers then).
#include <unistd.h>

#include <fmt/format.h>
#include <filesystem>

#include "ptv/common/clock.hpp"
#include "ptv/worker/snapshot_file.hpp"
#include "service_core.hpp"
#include "service_reply.hpp"
#include "snapshot_store.hpp"

namespace fs = std::filesystem;

namespace ptv::vmms {

namespace {

nlohmann::json busy(const Vm& vm) {
    return error(1, fmt::format("VM '{}' is busy ({} in progress); try again", vm.name, vm.busy));
}

}  // namespace

nlohmann::json Service::handle(Client& c, const nlohmann::json& req) {
    const std::string op = req.value("op", "");
    if (op == "ping") return ok({{"pid", ::getpid()}});
    if (op == "list") return list();
    if (op == "create") return op_create(req);
    if (op == "receive") return op_receive(req);
    if (op == "shutdown") return op_shutdown(req);
    if (op == "input") {
        if (Vm* vm = vms_.find(c.console_vm); vm && vm->conn >= 0)
            worker::send_message(vm->conn, {{"type", "input"}, {"data", req.value("data", "")}});
        return nullptr;
    }
    const std::string name = req.value("name", "");
    Vm* vm = vms_.find(name);
    if (!vm) return error(2, fmt::format("no VM named '{}'; 'ptv vm list' shows them", name));
    if (op == "start") return op_start(c, *vm);
    if (op == "stop") return op_stop(c, *vm);
    if (op == "pause" || op == "resume") return op_pause_resume(c, *vm, op);
    if (op == "delete") return op_delete(*vm);
    if (op == "snapshot") return op_snapshot(c, *vm, req.value("snapshot", ""));
    if (op == "restore")
        return op_restore(c, *vm, req.value("snapshot", ""), req.value("paused", false));
    if (op == "snapshots")
        return ok(
            {{"snapshots", list_snapshots(vms_.vm_dir(*vm) + "/snapshots", vm->last_snapshot)}});
    if (op == "console") return op_console(c, *vm, req);
    if (op == "info") return ok({{"vm", vm_row(*vm)}});
    if (op == "migrate") return op_migrate(c, *vm, req);
    return error(2, fmt::format("unknown request '{}'", op));
}

// With stop_vms, every worker is killed and its death recorded before the
// service goes; without, they keep running.
nlohmann::json Service::op_shutdown(const nlohmann::json& req) {
    if (req.value("stop_vms", false)) stop_all_workers();
    stopping_ = true;
    return ok();
}

nlohmann::json Service::op_create(const nlohmann::json& req) {
    nlohmann::json refusal;
    Vm* vm = vms_.create(req, refusal);
    if (!vm) return refusal;
    trace_.name_vm(vm->id, vm->name);
    trace_.instant(
        vm->id, "created",
        {{"guest", vm->guest}, {"memory_mib", vm->memory_mib}, {"restart", vm->restart}});
    return ok({{"vm", vm_row(*vm)}});
}

nlohmann::json Service::op_start(Client& c, Vm& vm) {
    if (!vm.busy.empty()) return busy(vm);
    if (Transition t = transition(vm.name, vm.state, VmEvent::Start); !t)
        return error(1, t.refusal);
    vm.restore_next = vm.last_snapshot;
    vm.consecutive_failures = 0;
    vm.restart_times_ms.clear();
    vm.restart_at_ns = 0;
    if (std::string err = spawn(vm); !err.empty()) return error(1, err);
    vm.busy = "start";
    vm.waiting = Pending{c.fd, "start"};
    return nullptr;  // answered when the worker says it runs
}

nlohmann::json Service::op_stop(Client& c, Vm& vm) {
    const Transition t = transition(vm.name, vm.state, VmEvent::Stop);
    if (!t) return error(1, t.refusal);
    if (t.to == VmState::Stopped) {
        // No worker (restarting or failed): the stop cancels the restart.
        vm.restart_at_ns = 0;
        move(vm, VmEvent::Stop);
        vms_.save(vm);
        trace_.instant(vm.id, "stopped", {{"while", "restarting"}});
        return ok({{"vm", vm_row(vm)}});
    }
    if (!vm.busy.empty() && vm.busy != "start") return busy(vm);
    vm.stop_requested = true;
    if (vm.conn >= 0)
        worker::send_message(vm.conn, {{"type", "stop"}});
    else
        kill_worker(vm);  // an orphan: no other way
    if (vm.waiting) reply(vm.waiting->client, error(1, "stopped before it started"));
    vm.busy = "stop";
    vm.waiting = Pending{c.fd, "stop"};
    vm.op_start_ns = now_ns();
    return nullptr;  // answered when the worker is gone
}

nlohmann::json Service::op_pause_resume(Client& c, Vm& vm, const std::string& op) {
    if (Transition t =
            transition(vm.name, vm.state, op == "pause" ? VmEvent::Pause : VmEvent::Resume);
        !t)
        return error(1, t.refusal);
    if (vm.conn < 0)
        return error(1, fmt::format("VM '{}' is {}; cannot {} it: its worker does not answer",
                                    vm.name, state_name(vm.state), op));
    if (!vm.busy.empty()) return busy(vm);
    vm.op_start_ns = now_ns();
    send_worker(vm, {{"type", op}}, c.fd, op);
    return nullptr;
}

nlohmann::json Service::op_delete(Vm& vm) {
    // A VM still waiting for its incoming stream is given up.
    if (vm.busy == "receive" && vm.pidfd < 0) {
        close_incoming(vm);
        vm.busy.clear();
    }
    if (vm.pidfd >= 0 || !vm.busy.empty())
        return error(1, fmt::format("VM '{}' is {}; stop it first ('ptv vm stop {}')", vm.name,
                                    state_name(vm.state), vm.name));
    trace_.instant(vm.id, "deleted");
    consoles_.event(vm.name, {{"event", "deleted"}});
    consoles_.forget(vm.name);
    vms_.remove(vm.name);
    return ok();
}

nlohmann::json Service::op_snapshot(Client& c, Vm& vm, const std::string& snap) {
    if (!valid_name(snap))
        return error(2, fmt::format("'{}' is not a snapshot name; use letters, digits, '.', '_' "
                                    "and '-'",
                                    snap));
    if (!vm.busy.empty()) return busy(vm);
    vm.op_start_ns = now_ns();
    if (vm.conn >= 0 && (vm.state == VmState::Running || vm.state == VmState::Paused)) {
        vm.busy = "snapshot";
        vm.waiting = Pending{c.fd, "snapshot " + snap};
        send_worker(vm, {{"type", "snapshot"}, {"dir", vms_.snap_dir(vm, snap)}}, c.fd, "snapshot");
        return nullptr;
    }
    if (vm.pidfd >= 0)
        return error(
            1, fmt::format("VM '{}' is {}; wait until it runs", vm.name, state_name(vm.state)));
    // A stopped VM: its state is its last snapshot; the service copies it
    // under the new name.
    if (vm.last_snapshot.empty())
        return error(1, fmt::format("VM '{}' is stopped and has no saved state to snapshot; "
                                    "start it first",
                                    vm.name));
    const std::string from = vms_.snap_dir(vm, vm.last_snapshot), to = vms_.snap_dir(vm, snap);
    if (from == to) return ok({{"snapshot", snap}, {"offline", true}});
    if (std::string why = copy_snapshot(from, to); !why.empty())
        return error(1,
                     fmt::format("snapshot '{}' of VM '{}' not written: {}", snap, vm.name, why));
    vm.last_snapshot = snap;
    vms_.save(vm);
    trace_.span(vm.id, "snapshot", vm.op_start_ns, {{"snapshot", snap}, {"offline", true}});
    return ok({{"snapshot", snap}, {"offline", true}});
}

nlohmann::json Service::op_restore(Client& c, Vm& vm, const std::string& snap, bool paused) {
    if (!valid_name(snap)) return error(2, fmt::format("'{}' is not a snapshot name", snap));
    if (!vm.busy.empty()) return busy(vm);
    const std::string dir = vms_.snap_dir(vm, snap);
    if (!fs::is_directory(dir))
        return error(2,
                     fmt::format("VM '{}' has no snapshot '{}'; 'ptv vm snapshots {}' lists them",
                                 vm.name, snap, vm.name));
    try {
        worker::read_snapshot_state(dir);  // refuse a damaged one before touching the VM
    } catch (const worker::SnapshotError& e) {
        trace_.instant(vm.id, "restore-refused", {{"snapshot", snap}, {"error", e.what()}});
        return error(1, fmt::format("{}; VM '{}' keeps its state{}", e.what(), vm.name,
                                    vm.last_snapshot.empty()
                                        ? std::string()
                                        : " and last good snapshot '" + vm.last_snapshot + "'"));
    }
    vm.op_start_ns = now_ns();
    vm.restore_next = snap;
    vm.start_paused = paused;
    vm.busy = "restore";
    vm.waiting = Pending{c.fd, "restore " + snap};
    if (vm.pidfd >= 0) {
        // The running worker's state is being replaced: end it now; the
        // death handler starts the new worker from the snapshot.
        vm.stop_requested = true;
        kill_worker(vm);
        return nullptr;
    }
    vm.restart_at_ns = 0;
    if (std::string err = spawn(vm); !err.empty()) {
        vm.busy.clear();
        vm.waiting.reset();
        return error(1, err);
    }
    return nullptr;
}

nlohmann::json Service::op_console(Client& c, Vm& vm, const nlohmann::json& req) {
    const std::string backlog = worker::bytes_to_text(consoles_.backlog(vm.name));
    if (!req.value("follow", true)) return ok({{"backlog", backlog}});
    c.console_vm = vm.name;
    consoles_.attach(vm.name, c.fd);
    return ok({{"backlog", backlog}, {"state", state_name(vm.state)}});
}

nlohmann::json Service::vm_row(const Vm& vm) {
    nlohmann::json r = {{"name", vm.name},
                        {"state", state_name(vm.state)},
                        {"pid", vm.pidfd >= 0 ? vm.pid : 0},
                        {"guest", vm.guest},
                        {"memory_mib", vm.memory_mib},
                        {"restart", vm.restart},
                        {"cmdline", vm.cmdline},
                        {"restarts", vm.restarts},
                        {"last_exit", vm.last_exit},
                        {"last_snapshot", vm.last_snapshot},
                        {"exits_per_s", vm.exits_per_s},
                        {"exits", vm.exits}};
    r["uptime_s"] =
        vm.pidfd >= 0 && vm.started_unix_ms ? double(unix_ms() - vm.started_unix_ms) / 1000.0 : 0.0;
    if (vm.restart_at_ns)
        r["restart_in_ms"] =
            vm.restart_at_ns > now_ns() ? (vm.restart_at_ns - now_ns()) / 1000000 : 0;
    if (!vm.memory_hash.empty()) r["memory_hash"] = vm.memory_hash;
    return r;
}

nlohmann::json Service::list() {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [name, vm] : vms_.all()) rows.push_back(vm_row(vm));
    return ok({{"vms", rows}});
}

void Service::finish_busy(Vm& vm, const nlohmann::json& message) {
    if (vm.waiting) reply(vm.waiting->client, message);
    vm.waiting.reset();
    vm.busy.clear();
}

}  // namespace ptv::vmms

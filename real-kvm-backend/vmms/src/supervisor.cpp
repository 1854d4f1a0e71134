// The Worker Process Manager: one ptv-vmwp per running VM. A worker listens
// on a socket in its VM's directory and outlives the service; its death is
// seen at once through its pidfd, and the VM's policy decides what follows
// (README.md, "Supervision").
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "ptv/common/clock.hpp"
#include "ptv/worker/spawn.hpp"
#include "restart_policy.hpp"
#include "service_core.hpp"
#include "service_reply.hpp"

namespace fs = std::filesystem;

namespace ptv::vmms {

namespace {

// glibc 2.36's <sys/pidfd.h> lacks extern "C": the system calls directly.
int pidfd_open(pid_t pid, unsigned flags) {
    return int(::syscall(SYS_pidfd_open, pid, flags));
}
int pidfd_send_signal(int pidfd, int sig, siginfo_t* info, unsigned flags) {
    return int(::syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags));
}

std::string signal_text(int sig) {
    return fmt::format("killed by signal {} ({})", sig, strsignal(sig));
}

}  // namespace

// Starts the VM's worker: a listening socket in the VM's directory (the
// worker inherits it as fd 3 and keeps it, so a later service can connect),
// our connection queued on it before the worker even runs, a pidfd to learn
// of its death.
std::string Service::spawn(Vm& vm) {
    const std::string dir = vms_.vm_dir(vm);
    std::error_code ec;
    fs::create_directories(dir + "/snapshots", ec);
    const std::string sock = dir + "/worker.sock";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (sock.size() >= sizeof addr.sun_path)
        return fmt::format("socket path {} is too long; use a shorter --state-dir", sock);
    std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
    ::unlink(sock.c_str());
    const int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(lfd, 4) < 0) {
        const int err = errno;
        ::close(lfd);
        return fmt::format("cannot listen on {}: {}", sock, std::strerror(err));
    }
    const int conn = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::connect(conn, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::unlink((dir + "/result.json").c_str());

    std::vector<std::string> args = {cfg_.worker_path,    "--name", vm.name,
                                     "--listen-fd",       "3",      "--result-file",
                                     dir + "/result.json"};
    std::vector<int> extra_fds;
    if (vm.incoming_conn >= 0) {
        // Live migration: the machine is the one the stream describes.
        args.insert(args.end(), {"--incoming-fd", "4"});
        extra_fds.push_back(vm.incoming_conn);
    } else if (!vm.restore_next.empty()) {
        args.insert(args.end(), {"--restore", vms_.snap_dir(vm, vm.restore_next)});
    } else {
        args.insert(args.end(), {vm.guest, "--memory", std::to_string(vm.memory_mib)});
        if (!vm.cmdline.empty()) args.insert(args.end(), {"--cmdline", vm.cmdline});
    }
    if (vm.start_paused) args.push_back("--paused");
    if (!vm.test_fault.empty()) args.insert(args.end(), {"--test-fault", vm.test_fault});
    // No blocked signals, output to the VM's log, its own process group.
    worker::WorkerSpawn how;
    how.argv = std::move(args);
    how.control_fd = lfd;
    how.extra_fds = extra_fds;
    how.log_path = dir + "/worker.log";
    how.own_process_group = true;  // a Ctrl-C for the service is not for the VMs
    const worker::SpawnedWorker w = worker::spawn_worker(how);
    ::close(lfd);
    if (w.error != 0) {
        ::close(conn);
        return fmt::format("cannot start worker {}: {}", cfg_.worker_path, std::strerror(w.error));
    }
    const pid_t pid = w.pid;
    vm.pid = pid;
    vm.child = true;
    vm.pidfd = pidfd_open(pid, 0);
    vm.conn = conn;
    vm.reader = std::make_unique<worker::MessageReader>(conn);
    vm.stop_requested = false;
    move(vm, VmEvent::Start);
    vm.started_unix_ms = unix_ms();
    vm.exits = vm.exits_t_ns = 0;
    vm.exits_per_s = 0;
    vm.memory_hash.clear();
    vm.said.clear();
    consoles_.clear(vm.name);
    vm.op_start_ns = vm.op_start_ns ? vm.op_start_ns : now_ns();
    worker_fds_[vm.pidfd] = vm.name;
    worker_fds_[conn] = vm.name;
    watch(kPidfd, vm.pidfd);
    watch(kWorkerConn, conn);
    vms_.save(vm);
    trace_.instant(vm.id, vm.restore_next.empty() ? "start" : "start-from-snapshot",
                   {{"pid", pid}, {"snapshot", vm.restore_next}});
    return "";
}

bool Service::connect_worker(Vm& vm) {
    const std::string sock = vms_.vm_dir(vm) + "/worker.sock";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, sock.c_str(), std::min(sock.size() + 1, sizeof addr.sun_path - 1));
    const int conn = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(conn, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        ::close(conn);
        return false;
    }
    vm.conn = conn;
    vm.reader = std::make_unique<worker::MessageReader>(conn);
    worker_fds_[conn] = vm.name;
    watch(kWorkerConn, conn);
    return true;
}

// After a service restart: a VM whose worker should be running is either
// re-adopted (the process is there and answers on its socket), reported as
// orphaned (there but silent), or found dead and handled as any death.
void Service::adopt(Vm& vm) {
    if (vm.state == VmState::Restarting) {
        schedule_restart(vm, true);
        return;
    }
    if (vm.pid <= 0 || vm.state == VmState::Stopped || vm.state == VmState::Failed) return;
    const int pidfd = pidfd_open(vm.pid, 0);
    std::error_code ec;
    const bool ours =
        pidfd >= 0 && fs::read_symlink(fmt::format("/proc/{}/exe", vm.pid), ec).filename() ==
                          fs::path(cfg_.worker_path).filename();
    if (!ours) {
        if (pidfd >= 0) ::close(pidfd);
        vm.pidfd = -1;
        vm.child = false;
        on_worker_death(vm);
        return;
    }
    vm.pidfd = pidfd;
    vm.child = false;
    worker_fds_[pidfd] = vm.name;
    watch(kPidfd, pidfd);
    if (connect_worker(vm)) {
        trace_.instant(vm.id, "adopted", {{"pid", vm.pid}});
        log(fmt::format("{}: re-adopted worker {}", vm.name, vm.pid));
    } else {
        move(vm, VmEvent::Silent);
        trace_.instant(vm.id, "orphaned", {{"pid", vm.pid}});
        log(fmt::format("{}: worker {} runs but does not answer: orphaned", vm.name, vm.pid));
    }
    vms_.save(vm);
}

void Service::kill_worker(Vm& vm) {
    pidfd_send_signal(vm.pidfd, SIGKILL, nullptr, 0);
}

// `shutdown` with stop_vms: every worker killed and its death recorded.
void Service::stop_all_workers() {
    for (auto& [name, vm] : vms_.all()) {
        vm.restart_at_ns = 0;
        if (vm.state == VmState::Restarting) move(vm, VmEvent::Stop);
        if (vm.pidfd < 0) continue;
        vm.stop_requested = true;
        kill_worker(vm);
        pollfd p{vm.pidfd, POLLIN, 0};
        ::poll(&p, 1, 5000);
        on_worker_death(vm);
    }
}

void Service::send_worker(Vm& vm, nlohmann::json message, int client, const std::string& op) {
    const int64_t id = next_request_id_++;
    message["id"] = id;
    vm.requests[id] = Pending{client, op};
    worker::send_message(vm.conn, message);
}

void Service::on_worker_message(Vm& vm) {
    const bool open = vm.reader->read_once();
    nlohmann::json m;
    while (vm.reader && vm.reader->pop(m)) {
        const std::string type = m.value("type", "");
        if (type == "console") {
            consoles_.output(vm.name, m["data"]);
            continue;
        }
        if (on_migration_message(vm, m)) continue;
        if (type == "started" || type == "status") {
            const uint64_t exits = m.value("exits", uint64_t(0)), t = now_ns();
            if (vm.exits_t_ns && t > vm.exits_t_ns && exits >= vm.exits)
                vm.exits_per_s = double(exits - vm.exits) * 1e9 / double(t - vm.exits_t_ns);
            vm.exits = exits;
            vm.exits_t_ns = t;
        }
        if (type == "started") {
            const VmState was = vm.state;
            move(vm, m.value("state", "running") == "paused" ? VmEvent::Paused : VmEvent::Runs);
            if (was == VmState::Starting) {
                trace_.span(vm.id, "starting", vm.op_start_ns, {{"pid", vm.pid}});
                if (vm.busy == "start" || (vm.busy == "restore" && !vm.start_paused)) {
                    if (vm.busy == "restore") {
                        vm.last_snapshot = vm.restore_next;
                        trace_.span(vm.id, "restore", vm.op_start_ns,
                                    {{"snapshot", vm.restore_next}});
                    }
                    finish_busy(vm, ok({{"vm", vm_row(vm)}}));
                }
                if (vm.restarts && vm.state == VmState::Running)
                    trace_.instant(vm.id, "restarted",
                                   {{"pid", vm.pid}, {"restarts", vm.restarts}});
                vm.op_start_ns = 0;
            }
            vms_.save(vm);
        } else if (type == "incoming" && vm.busy == "receive") {
            // The guest is whole here and runs: the migration has switched
            // over (before that, a failure ends the worker and the record).
            trace_.instant(vm.id, "received", {{"pid", vm.pid}, {"mode", m.value("mode", "")}});
            finish_busy(vm, ok({{"vm", vm_row(vm)}}));
            vms_.save(vm);
        } else if (type == "paused" || type == "resumed") {
            move(vm, type == "paused" ? VmEvent::Paused : VmEvent::Runs);
            vm.memory_hash = m.value("memory_hash", "");
            trace_.instant(vm.id, type, {{"memory_hash", vm.memory_hash}});
            vms_.save(vm);
            if (vm.busy == "restore" && type == "paused") {
                vm.last_snapshot = vm.restore_next;
                trace_.span(vm.id, "restore", vm.op_start_ns, {{"snapshot", vm.restore_next}});
                finish_busy(vm, ok({{"vm", vm_row(vm)}}));
            }
        } else if (type == "snapshot") {
            const std::string snap = fs::path(m.value("dir", "")).filename().string();
            vm.last_snapshot = snap;
            vms_.save(vm);
            trace_.span(vm.id, "snapshot", vm.op_start_ns,
                        {{"snapshot", snap}, {"memory_bytes", m["memory_bytes"]}});
        } else if (type == "error" && m.contains("id")) {
            trace_.instant(vm.id, "request-failed", {{"error", m.value("message", "")}});
        } else if (type == "error") {
            vm.said = m.value("message", "");
            trace_.instant(vm.id, "worker-error", {{"error", vm.said}});
        } else if (type == "result") {
            vm.said = fmt::format("{} ({})", m.value("outcome", ""), m.value("message", ""));
        }
        // Answers to a client's request.
        if (auto id = m.find("id"); id != m.end() && id->is_number_integer()) {
            auto it = vm.requests.find(id->get<int64_t>());
            if (it != vm.requests.end()) {
                const Pending p = it->second;
                vm.requests.erase(it);
                nlohmann::json r = type == "error"
                                       ? error(m.value("status", 1), m.value("message", ""))
                                       : ok({{"vm", vm_row(vm)}});
                if (type == "snapshot") {
                    r["snapshot"] = fs::path(m.value("dir", "")).filename().string();
                    r["total_ns"] = m["total_ns"];
                }
                if (type == "paused") r["memory_hash"] = vm.memory_hash;
                if (p.op == "snapshot")
                    finish_busy(vm, r);
                else
                    reply(p.client, r);
            }
        }
    }
    if (!open) close_worker_conn(vm);  // its pidfd tells when it is gone
}

void Service::close_worker_conn(Vm& vm) {
    unwatch(vm.conn);
    worker_fds_.erase(vm.conn);
    ::close(vm.conn);
    vm.conn = -1;
    vm.reader.reset();
}

void Service::drop_worker(Vm& vm) {
    if (vm.conn >= 0) {
        // Read what is left first: the result and the last console bytes.
        on_worker_message(vm);
        if (vm.conn >= 0) close_worker_conn(vm);
    }
    if (vm.pidfd >= 0) {
        unwatch(vm.pidfd);
        worker_fds_.erase(vm.pidfd);
        ::close(vm.pidfd);
        vm.pidfd = -1;
    }
}

// The pidfd became readable: the worker is gone. Why (exit status or
// signal; for an adopted worker, its result file), and then what the VM's
// restart policy says.
void Service::on_worker_death(Vm& vm) {
    const uint64_t t_detected = now_ns();
    bool failed = true;
    std::string reason;
    if (vm.child && vm.pidfd >= 0) {
        siginfo_t info{};
        if (waitid(P_PIDFD, vm.pidfd, &info, WEXITED) == 0) {
            if (info.si_code == CLD_EXITED) {
                const int status = info.si_status;
                reason = fmt::format("exited with status {}", status);
                failed = status != 0;
            } else {
                reason = signal_text(info.si_status);
            }
        }
    }
    drop_worker(vm);  // reads the last messages (result)
    if (reason.empty()) {
        // Not our child: the result file is all there is.
        std::ifstream in(vms_.vm_dir(vm) + "/result.json");
        nlohmann::json r = nlohmann::json::parse(in, nullptr, false);
        if (!r.is_discarded() && r.is_object()) {
            reason = fmt::format("exited with status {}", r.value("status", -1));
            failed = r.value("status", -1) != 0;
        } else {
            reason = "gone (not a child of this service: exit status unknown)";
        }
    }
    if (!vm.said.empty()) reason += ": " + vm.said;
    vm.said.clear();
    vm.last_exit = reason;
    if (vm.stop_requested && vm.busy != "restore") failed = false;
    // Stamped when the pidfd woke us, not after the bookkeeping above.
    trace_.instant(vm.id, "worker-died", {{"pid", vm.pid}, {"reason", reason}}, t_detected);
    log(fmt::format("{}: worker {} {}", vm.name, vm.pid, reason));
    // A VM that left by live migration, or never arrived by one, has no
    // record here any more: it runs on the other host (or still at the
    // source).
    if (!vm.migrated_to.empty() || vm.busy == "receive") {
        const bool left = !vm.migrated_to.empty();
        trace_.instant(vm.id, left ? "migrated-out" : "receive-failed",
                       {{"to", vm.migrated_to}, {"reason", reason}});
        log(fmt::format("{}: {}", vm.name,
                        left ? "now runs at " + vm.migrated_to : "not received: " + reason));
        consoles_.event(vm.name,
                        {{"event", left ? "migrated" : "worker-died"}, {"reason", reason}});
        consoles_.forget(vm.name);
        vms_.remove(vm.name);
        return;
    }
    consoles_.event(vm.name, {{"event", "worker-died"}, {"reason", reason}});
    vm.requests.clear();
    vm.pid = 0;
    vm.memory_hash.clear();
    vm.exits_per_s = 0;
    move(vm, VmEvent::WorkerGone);

    if (vm.busy == "restore" && vm.stop_requested) {
        // The old worker made room for the restored one.
        vm.stop_requested = false;
        if (std::string err = spawn(vm); !err.empty()) finish_busy(vm, error(1, err));
        return;
    }
    if (vm.busy == "restore") {
        finish_busy(vm, error(1, fmt::format("VM '{}': worker {}", vm.name, reason)));
        vm.start_paused = false;
        vms_.save(vm);
        return;
    }
    // A worker that dies as it starts: the client hears why, and the
    // policy decides as for any other death (a crash loop at start).
    if (vm.busy == "start")
        finish_busy(vm, error(1, fmt::format("VM '{}': worker {}", vm.name, reason)));
    if (vm.busy == "snapshot") finish_busy(vm, error(1, "the worker died during the snapshot"));
    if (vm.busy == "stop") {
        trace_.span(vm.id, "stop", vm.op_start_ns);
        finish_busy(vm, ok({{"vm", vm_row(vm)}}));
        vms_.save(vm);
        return;
    }
    vm.busy.clear();
    vm.start_paused = false;
    const bool restart = !vm.stop_requested && !stopping_ &&
                         (vm.restart == "always" || (vm.restart == "on-failure" && failed));
    if (restart) {
        schedule_restart(vm, failed);
    } else {
        if (failed && !vm.stop_requested) move(vm, VmEvent::Crash);
        vms_.save(vm);
    }
}

void Service::schedule_restart(Vm& vm, bool failed) {
    const RestartDecision d = decide_restart(vm, unix_ms(), failed);
    if (d.give_up) {
        move(vm, VmEvent::GiveUp);
        vm.last_exit += fmt::format(
            "; crash loop: {} restarts in the last minute, giving up "
            "('ptv vm start {}' tries again)",
            vm.restart_times_ms.size(), vm.name);
        trace_.instant(vm.id, "crash-loop", {{"restarts_last_minute", vm.restart_times_ms.size()}});
        log(fmt::format("{}: crash loop, restarts stopped", vm.name));
        vms_.save(vm);
        return;
    }
    move(vm, VmEvent::Restart);
    vm.restart_at_ns = now_ns() + d.delay_ms * 1000000;
    trace_.instant(vm.id, "restart-scheduled",
                   {{"delay_ms", d.delay_ms},
                    {"attempt", vm.consecutive_failures},
                    {"from_snapshot", vm.last_snapshot}});
    vms_.save(vm);
    if (d.delay_ms == 0)
        on_timer();
    else
        arm_timer();
}

void Service::arm_timer() {
    uint64_t next = 0;
    for (const auto& [name, vm] : vms_.all())
        if (vm.restart_at_ns && (!next || vm.restart_at_ns < next)) next = vm.restart_at_ns;
    itimerspec its{};
    if (next) {
        its.it_value.tv_sec = time_t(next / 1000000000);
        its.it_value.tv_nsec = long(next % 1000000000);
    }
    timerfd_settime(timer_, TFD_TIMER_ABSTIME, &its, nullptr);
}

void Service::on_timer() {
    uint64_t expirations;
    (void)!::read(timer_, &expirations, sizeof expirations);
    const uint64_t now = now_ns();
    for (auto& [name, vm] : vms_.all()) {
        if (!vm.restart_at_ns || vm.restart_at_ns > now) continue;
        vm.restart_at_ns = 0;
        if (vm.state != VmState::Restarting) continue;
        ++vm.restarts;
        vm.restore_next = vm.last_snapshot;
        vm.op_start_ns = now;
        if (std::string err = spawn(vm); !err.empty()) {
            move(vm, VmEvent::GiveUp);
            vm.last_exit = err;
            vms_.save(vm);
        }
    }
    arm_timer();
}

}  // namespace ptv::vmms

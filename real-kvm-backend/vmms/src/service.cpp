#include "ptv/vmms/service.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/worker/outcome.hpp"
#include "ptv/worker/snapshot_file.hpp"
#include "vm.hpp"

namespace fs = std::filesystem;

extern char** environ;

namespace ptv::vmms {

namespace {

// glibc 2.36's <sys/pidfd.h> lacks extern "C": the system calls directly.
int pidfd_open(pid_t pid, unsigned flags) {
    return int(::syscall(SYS_pidfd_open, pid, flags));
}
int pidfd_send_signal(int pidfd, int sig, siginfo_t* info, unsigned flags) {
    return int(::syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags));
}

// The supervisor's rules (README.md, "Supervision").
constexpr unsigned kMaxRestartsPerMinute = 5;
constexpr uint64_t kBackoffBaseMs = 100;   // the 2nd restart in a row waits this long
constexpr uint64_t kBackoffMaxMs = 10000;  // and the wait doubles up to this
constexpr uint64_t kStableRunMs = 10000;   // a worker that lived this long resets the back-off
constexpr size_t kConsoleBacklog = 64u << 10;

int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string signal_text(int sig) {
    return fmt::format("killed by signal {} ({})", sig, strsignal(sig));
}

bool valid_name(const std::string& n) {
    static const std::regex re("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    return std::regex_match(n, re) && n.find(".tmp-") == std::string::npos;
}

nlohmann::json error(int status, std::string message) {
    return {{"ok", false}, {"status", status}, {"error", std::move(message)}};
}

nlohmann::json ok(nlohmann::json more = nlohmann::json::object()) {
    more["ok"] = true;
    return more;
}

// Writes PATH atomically (temp name, then rename).
void write_json_file(const std::string& path, const nlohmann::json& j) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        out << j.dump(1) << "\n";
        if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp));
    }
    if (std::rename(tmp.c_str(), path.c_str()) < 0)
        throw std::runtime_error(fmt::format("cannot rename {}: {}", tmp, std::strerror(errno)));
}

enum Kind : uint32_t { kListen, kSignal, kTimer, kClient, kWorkerConn, kPidfd };

class Service {
  public:
    explicit Service(const ServiceConfig& c) : cfg_(c) {}
    int run();

  private:
    struct Client {
        int fd;
        worker::MessageReader reader;
        std::string console_vm;  // attached to this VM's console
    };

    // --- set-up and the loop ---
    void open_socket();
    void watch(Kind kind, int fd);
    void unwatch(int fd);
    void load_vms();
    void on_client(int fd);
    void close_client(int fd);
    void arm_timer();
    void on_timer();
    void log(const std::string& line);
    void move(Vm& vm, VmEvent event);

    // --- requests ---
    nlohmann::json handle(Client& c, const nlohmann::json& req);
    nlohmann::json op_create(const nlohmann::json& req);
    nlohmann::json op_start(Client& c, Vm& vm, const nlohmann::json& req);
    nlohmann::json op_stop(Client& c, Vm& vm);
    nlohmann::json op_pause_resume(Client& c, Vm& vm, const std::string& op);
    nlohmann::json op_delete(Vm& vm);
    nlohmann::json op_snapshot(Client& c, Vm& vm, const std::string& snap);
    nlohmann::json op_restore(Client& c, Vm& vm, const std::string& snap, bool paused);
    nlohmann::json op_snapshots(Vm& vm);
    nlohmann::json op_console(Client& c, Vm& vm, const nlohmann::json& req);
    nlohmann::json list();
    nlohmann::json vm_row(const Vm& vm);
    void reply(int client, const nlohmann::json& message);
    void finish_busy(Vm& vm, const nlohmann::json& message);

    // --- workers ---
    std::string spawn(Vm& vm);
    void adopt(Vm& vm);
    bool connect_worker(Vm& vm);
    void on_worker_message(Vm& vm);
    void on_worker_death(Vm& vm);
    void drop_worker(Vm& vm);
    void schedule_restart(Vm& vm, bool failed);
    void send_worker(Vm& vm, nlohmann::json message, int client, const std::string& op);

    // --- state ---
    std::string vm_dir(const Vm& vm) const { return cfg_.state_dir + "/vms/" + vm.name; }
    std::string snap_dir(const Vm& vm, const std::string& s) const {
        return vm_dir(vm) + "/snapshots/" + s;
    }
    void save(const Vm& vm);
    Vm* find(const std::string& name);
    void trace(const Vm& vm, std::string_view name, const nlohmann::json& args = nullptr,
               uint64_t at_ns = 0);
    void trace_span(const Vm& vm, std::string_view name, uint64_t start_ns,
                    const nlohmann::json& args = nullptr);

    ServiceConfig cfg_;
    int epoll_ = -1, listen_ = -1, signals_ = -1, timer_ = -1;
    bool stopping_ = false;
    std::map<std::string, Vm> vms_;
    std::map<int, Client> clients_;
    std::map<int, std::string> worker_fds_;  // conn or pidfd -> VM name
    std::FILE* trace_file_ = nullptr;
    std::optional<trace::TraceWriter> trace_;
    int64_t next_request_id_ = 1;
    int next_vm_id_ = 1;
};

// --- set-up and the loop -----------------------------------------------------

void Service::log(const std::string& line) {
    if (!cfg_.quiet) std::fprintf(stderr, "vmms: %s\n", line.c_str());
}

// Every change of a VM's state goes through its lifecycle (vm_state.hpp);
// a worker's report that does not fit is logged and changes nothing.
void Service::move(Vm& vm, VmEvent event) {
    if (std::string refusal = vm.apply(event); !refusal.empty()) log(refusal);
}

void Service::watch(Kind kind, int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = (uint64_t(kind) << 32) | uint32_t(fd);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
}

void Service::unwatch(int fd) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
}

void Service::open_socket() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (cfg_.socket_path.size() >= sizeof addr.sun_path)
        throw UsageError(fmt::format("socket path '{}' is too long", cfg_.socket_path));
    std::memcpy(addr.sun_path, cfg_.socket_path.c_str(), cfg_.socket_path.size() + 1);
    std::error_code ec;
    fs::create_directories(fs::path(cfg_.socket_path).parent_path(), ec);
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // Someone there already? Then it is not ours to take.
    if (::connect(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
        throw UsageError(
            fmt::format("a vmms service is already running on {}; stop it first ('ptv vmms stop')",
                        cfg_.socket_path));
    ::close(listen_);
    ::unlink(cfg_.socket_path.c_str());  // a stale socket of a dead service
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(listen_, 64) < 0)
        throw UsageError(fmt::format("cannot listen on {}: {}; choose another with --socket",
                                     cfg_.socket_path, std::strerror(errno)));
}

int Service::run() {
    std::error_code ec;
    fs::create_directories(cfg_.state_dir + "/vms", ec);
    if (ec || ::access((cfg_.state_dir + "/vms").c_str(), W_OK) != 0)
        throw UsageError(
            fmt::format("state directory {} is not writable; choose another with "
                        "--state-dir",
                        cfg_.state_dir));
    const std::string trace_path =
        cfg_.trace_path.empty() ? cfg_.state_dir + "/trace.json" : cfg_.trace_path;
    trace_file_ = std::fopen(trace_path.c_str(), "a");
    if (!trace_file_) throw UsageError(fmt::format("cannot open trace {}", trace_path));
    trace_.emplace(trace_file_, trace::TraceWriter::Mode::Lines);
    open_socket();

    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, sig);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    signals_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    watch(kListen, listen_);
    watch(kSignal, signals_);
    watch(kTimer, timer_);

    load_vms();
    log(fmt::format("listening on {} (state in {}, pid {})", cfg_.socket_path, cfg_.state_dir,
                    ::getpid()));
    if (cfg_.ready_fd >= 0) {
        (void)!::write(cfg_.ready_fd, "ready\n", 6);
        ::close(cfg_.ready_fd);
    }

    while (!stopping_) {
        epoll_event events[32];
        const int n = epoll_wait(epoll_, events, 32, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < n && !stopping_; ++i) {
            const Kind kind = Kind(events[i].data.u64 >> 32);
            const int fd = int(uint32_t(events[i].data.u64));
            switch (kind) {
                case kListen:
                    for (int c; (c = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
                        clients_.emplace(c, Client{c, worker::MessageReader(c), ""});
                        watch(kClient, c);
                    }
                    break;
                case kSignal: {
                    signalfd_siginfo info;
                    while (::read(signals_, &info, sizeof info) == sizeof info) stopping_ = true;
                    break;
                }
                case kTimer:
                    on_timer();
                    break;
                case kClient:
                    if (clients_.count(fd)) on_client(fd);
                    break;
                case kWorkerConn:
                    if (auto it = worker_fds_.find(fd); it != worker_fds_.end())
                        on_worker_message(vms_.at(it->second));
                    break;
                case kPidfd:
                    if (auto it = worker_fds_.find(fd); it != worker_fds_.end())
                        on_worker_death(vms_.at(it->second));
                    break;
            }
        }
    }
    // The workers go on; a service started later re-adopts them.
    for (auto& [name, vm] : vms_) {
        save(vm);
        if (vm.pidfd >= 0) trace(vm, "service-left", {{"pid", vm.pid}});
    }
    trace_->event({{"ph", "i"},
                   {"cat", "vmms"},
                   {"name", "service-stop"},
                   {"pid", 0},
                   {"tid", 1},
                   {"ts", double(now_ns()) / 1000.0},
                   {"s", "g"}});
    for (auto& [fd, c] : clients_) ::close(fd);
    ::close(listen_);
    ::unlink(cfg_.socket_path.c_str());
    trace_.reset();
    std::fclose(trace_file_);
    log("stopped; running VMs keep running");
    return 0;
}

void Service::load_vms() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cfg_.state_dir + "/vms", ec)) {
        const std::string path = e.path().string() + "/vm.json";
        std::ifstream in(path);
        if (!in) continue;
        std::stringstream text;
        text << in.rdbuf();
        auto j = nlohmann::json::parse(text.str(), nullptr, false);
        if (j.is_discarded()) {
            log(fmt::format("{} is damaged; VM left out", path));
            continue;
        }
        try {
            Vm vm = Vm::from_json(j);
            next_vm_id_ = std::max(next_vm_id_, vm.id + 1);
            auto [it, _] = vms_.emplace(vm.name, std::move(vm));
            trace_->process_name(it->second.id, "vm " + it->second.name);
        } catch (const std::exception& ex) {
            log(fmt::format("{}: {}; VM left out", path, ex.what()));
        }
    }
    for (auto& [name, vm] : vms_) {
        // A snapshot half-written by a worker that has died since (its
        // temporary directory, SNAP.tmp-PID) is of no use: remove it.
        for (const auto& e : fs::directory_iterator(vm_dir(vm) + "/snapshots", ec)) {
            const std::string f = e.path().filename().string();
            const size_t at = f.rfind(".tmp-");
            if (at != std::string::npos && !fs::exists("/proc/" + f.substr(at + 5), ec))
                fs::remove_all(e.path(), ec);
        }
        adopt(vm);
    }
}

void Service::close_client(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    if (Vm* vm = find(it->second.console_vm)) vm->consoles.erase(fd);
    for (auto& [name, vm] : vms_) {
        if (vm.waiting && vm.waiting->client == fd) vm.waiting->client = -1;
        for (auto& [id, p] : vm.requests)
            if (p.client == fd) p.client = -1;
    }
    unwatch(fd);
    ::close(fd);
    clients_.erase(it);
}

void Service::on_client(int fd) {
    Client& c = clients_.at(fd);
    if (!c.reader.read_once()) return close_client(fd);
    nlohmann::json req;
    while (clients_.count(fd) && c.reader.pop(req)) {
        nlohmann::json r;
        try {
            r = handle(c, req);
        } catch (const std::exception& e) {
            r = error(1, fmt::format("internal error: {}", e.what()));
        }
        if (!r.is_null()) reply(fd, r);
    }
}

void Service::reply(int client, const nlohmann::json& message) {
    if (client < 0 || !clients_.count(client)) return;
    if (!worker::send_message(client, message)) close_client(client);
}

Vm* Service::find(const std::string& name) {
    auto it = vms_.find(name);
    return it == vms_.end() ? nullptr : &it->second;
}

void Service::save(const Vm& vm) {
    try {
        write_json_file(vm_dir(vm) + "/vm.json", vm.to_json());
    } catch (const std::exception& e) {
        log(fmt::format("{}: {}", vm.name, e.what()));
    }
}

void Service::trace(const Vm& vm, std::string_view name, const nlohmann::json& args,
                    uint64_t at_ns) {
    trace_->instant("vmms", name, vm.id, 1, double(at_ns ? at_ns : now_ns()) / 1000.0, args);
    std::fflush(trace_file_);
}

void Service::trace_span(const Vm& vm, std::string_view name, uint64_t start_ns,
                         const nlohmann::json& args) {
    trace_->complete("vmms", name, vm.id, 1, double(start_ns) / 1000.0,
                     double(now_ns() - start_ns) / 1000.0, args);
    std::fflush(trace_file_);
}

// --- requests ----------------------------------------------------------------

nlohmann::json Service::handle(Client& c, const nlohmann::json& req) {
    const std::string op = req.value("op", "");
    if (op == "ping") return ok({{"pid", ::getpid()}});
    if (op == "list") return list();
    if (op == "create") return op_create(req);
    if (op == "shutdown") {
        // With stop_vms, every worker is killed and its death recorded
        // before the service goes; without, they keep running.
        if (req.value("stop_vms", false))
            for (auto& [name, vm] : vms_) {
                vm.restart_at_ns = 0;
                if (vm.state == VmState::Restarting) move(vm, VmEvent::Stop);
                if (vm.pidfd < 0) continue;
                vm.stop_requested = true;
                pidfd_send_signal(vm.pidfd, SIGKILL, nullptr, 0);
                pollfd p{vm.pidfd, POLLIN, 0};
                ::poll(&p, 1, 5000);
                on_worker_death(vm);
            }
        stopping_ = true;
        return ok();
    }
    if (op == "input") {
        if (Vm* vm = find(c.console_vm); vm && vm->conn >= 0)
            worker::send_message(vm->conn, {{"type", "input"}, {"data", req.value("data", "")}});
        return nullptr;
    }
    const std::string name = req.value("name", "");
    Vm* vm = find(name);
    if (!vm) return error(2, fmt::format("no VM named '{}'; 'ptv vm list' shows them", name));
    if (op == "start") return op_start(c, *vm, req);
    if (op == "stop") return op_stop(c, *vm);
    if (op == "pause" || op == "resume") return op_pause_resume(c, *vm, op);
    if (op == "delete") return op_delete(*vm);
    if (op == "snapshot") return op_snapshot(c, *vm, req.value("snapshot", ""));
    if (op == "restore")
        return op_restore(c, *vm, req.value("snapshot", ""), req.value("paused", false));
    if (op == "snapshots") return op_snapshots(*vm);
    if (op == "console") return op_console(c, *vm, req);
    if (op == "info") return ok({{"vm", vm_row(*vm)}});
    return error(2, fmt::format("unknown request '{}'", op));
}

nlohmann::json Service::op_create(const nlohmann::json& req) {
    Vm vm;
    vm.name = req.value("name", "");
    if (!valid_name(vm.name))
        return error(2, fmt::format("'{}' is not a VM name; use letters, digits, '.', '_' and "
                                    "'-' (up to 64, starting with a letter or digit)",
                                    vm.name));
    if (vms_.count(vm.name))
        return error(2, fmt::format("a VM named '{}' exists already", vm.name));
    vm.guest = req.value("guest", "");
    if (::access(vm.guest.c_str(), R_OK) != 0)
        return error(2, fmt::format("guest image '{}' is not readable", vm.guest));
    vm.memory_mib = req.value("memory_mib", 64u);
    if (vm.memory_mib < 2 || vm.memory_mib > 3072)
        return error(2,
                     fmt::format("--memory {} is out of range; give 2 to 3072 MiB", vm.memory_mib));
    vm.restart = req.value("restart", "never");
    if (vm.restart != "never" && vm.restart != "on-failure" && vm.restart != "always")
        return error(2,
                     fmt::format("--restart {} is not a policy; give never, on-failure or always",
                                 vm.restart));
    vm.cmdline = req.value("cmdline", "");
    vm.test_fault = req.value("test_fault", "");
    vm.id = next_vm_id_++;
    std::error_code ec;
    fs::create_directories(vm_dir(vm) + "/snapshots", ec);
    if (ec) return error(1, fmt::format("cannot create {}: {}", vm_dir(vm), ec.message()));
    auto [it, _] = vms_.emplace(vm.name, std::move(vm));
    save(it->second);
    trace_->process_name(it->second.id, "vm " + it->second.name);
    trace(it->second, "created",
          {{"guest", it->second.guest},
           {"memory_mib", it->second.memory_mib},
           {"restart", it->second.restart}});
    return ok({{"vm", vm_row(it->second)}});
}

nlohmann::json Service::op_start(Client& c, Vm& vm, const nlohmann::json&) {
    if (!vm.busy.empty())
        return error(1,
                     fmt::format("VM '{}' is busy ({} in progress); try again", vm.name, vm.busy));
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
        save(vm);
        trace(vm, "stopped", {{"while", "restarting"}});
        return ok({{"vm", vm_row(vm)}});
    }
    if (!vm.busy.empty() && vm.busy != "start")
        return error(1,
                     fmt::format("VM '{}' is busy ({} in progress); try again", vm.name, vm.busy));
    vm.stop_requested = true;
    if (vm.conn >= 0)
        worker::send_message(vm.conn, {{"type", "stop"}});
    else
        pidfd_send_signal(vm.pidfd, SIGKILL, nullptr, 0);  // an orphan: no other way
    if (vm.waiting) reply(vm.waiting->client, error(1, "stopped before it started"));
    vm.busy = "stop";
    vm.waiting = Pending{c.fd, "stop"};
    vm.op_start_ns = now_ns();
    return nullptr;  // answered when the worker is gone
}

void Service::send_worker(Vm& vm, nlohmann::json message, int client, const std::string& op) {
    const int64_t id = next_request_id_++;
    message["id"] = id;
    vm.requests[id] = Pending{client, op};
    worker::send_message(vm.conn, message);
}

nlohmann::json Service::op_pause_resume(Client& c, Vm& vm, const std::string& op) {
    if (Transition t =
            transition(vm.name, vm.state, op == "pause" ? VmEvent::Pause : VmEvent::Resume);
        !t)
        return error(1, t.refusal);
    if (vm.conn < 0)
        return error(1, fmt::format("VM '{}' is {}; cannot {} it: its worker does not answer",
                                    vm.name, state_name(vm.state), op));
    if (!vm.busy.empty())
        return error(1,
                     fmt::format("VM '{}' is busy ({} in progress); try again", vm.name, vm.busy));
    vm.op_start_ns = now_ns();
    send_worker(vm, {{"type", op}}, c.fd, op);
    return nullptr;
}

nlohmann::json Service::op_delete(Vm& vm) {
    if (vm.pidfd >= 0 || !vm.busy.empty())
        return error(1, fmt::format("VM '{}' is {}; stop it first ('ptv vm stop {}')", vm.name,
                                    state_name(vm.state), vm.name));
    trace(vm, "deleted");
    std::error_code ec;
    fs::remove_all(vm_dir(vm), ec);
    for (int fd : vm.consoles) reply(fd, {{"event", "deleted"}});
    vms_.erase(vm.name);
    return ok();
}

nlohmann::json Service::op_snapshot(Client& c, Vm& vm, const std::string& snap) {
    if (!valid_name(snap))
        return error(2, fmt::format("'{}' is not a snapshot name; use letters, digits, '.', '_' "
                                    "and '-'",
                                    snap));
    if (!vm.busy.empty())
        return error(1,
                     fmt::format("VM '{}' is busy ({} in progress); try again", vm.name, vm.busy));
    vm.op_start_ns = now_ns();
    if (vm.conn >= 0 && (vm.state == VmState::Running || vm.state == VmState::Paused)) {
        vm.busy = "snapshot";
        vm.waiting = Pending{c.fd, "snapshot " + snap};
        send_worker(vm, {{"type", "snapshot"}, {"dir", snap_dir(vm, snap)}}, c.fd, "snapshot");
        return nullptr;
    }
    if (vm.pidfd >= 0)
        return error(
            1, fmt::format("VM '{}' is {}; wait until it runs", vm.name, state_name(vm.state)));
    // A stopped VM: its state is its last snapshot; the service copies it
    // (hard links: the files are never written in place) under the new name.
    if (vm.last_snapshot.empty())
        return error(1, fmt::format("VM '{}' is stopped and has no saved state to snapshot; "
                                    "start it first",
                                    vm.name));
    const std::string from = snap_dir(vm, vm.last_snapshot), to = snap_dir(vm, snap);
    if (from == to) return ok({{"snapshot", snap}, {"offline", true}});
    const std::string tmp = to + ".tmp-" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directory(tmp, ec);
    for (const char* f : {worker::kSnapshotStateFile, worker::kSnapshotMemoryFile})
        if (!ec) fs::create_hard_link(from + "/" + f, tmp + "/" + f, ec);
    if (!ec) {
        fs::remove_all(to, ec);
        fs::rename(tmp, to, ec);
    }
    if (ec) {
        fs::remove_all(tmp, ec);
        return error(1, fmt::format("snapshot '{}' of VM '{}' not written: {}", snap, vm.name,
                                    ec.message()));
    }
    vm.last_snapshot = snap;
    save(vm);
    trace_span(vm, "snapshot", vm.op_start_ns, {{"snapshot", snap}, {"offline", true}});
    return ok({{"snapshot", snap}, {"offline", true}});
}

nlohmann::json Service::op_restore(Client& c, Vm& vm, const std::string& snap, bool paused) {
    if (!valid_name(snap)) return error(2, fmt::format("'{}' is not a snapshot name", snap));
    if (!vm.busy.empty())
        return error(1,
                     fmt::format("VM '{}' is busy ({} in progress); try again", vm.name, vm.busy));
    const std::string dir = snap_dir(vm, snap);
    if (!fs::is_directory(dir))
        return error(2,
                     fmt::format("VM '{}' has no snapshot '{}'; 'ptv vm snapshots {}' lists them",
                                 vm.name, snap, vm.name));
    try {
        worker::read_snapshot_state(dir);  // refuse a damaged one before touching the VM
    } catch (const worker::SnapshotError& e) {
        trace(vm, "restore-refused", {{"snapshot", snap}, {"error", e.what()}});
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
        pidfd_send_signal(vm.pidfd, SIGKILL, nullptr, 0);
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

nlohmann::json Service::op_snapshots(Vm& vm) {
    nlohmann::json rows = nlohmann::json::array();
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(vm_dir(vm) + "/snapshots", ec))
        if (e.is_directory() && e.path().filename().string().find(".tmp-") == std::string::npos)
            dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) {
        nlohmann::json row = {{"snapshot", d.filename().string()}};
        try {
            auto st = worker::read_snapshot_state(d.string());
            row["memory_bytes"] = st["memory"]["bytes"];
            row["memory_hash"] = st["memory"]["hash"];
            row["created_unix"] = st.value("created_unix", 0);
            row["ok"] = true;
        } catch (const worker::SnapshotError& e) {
            row["ok"] = false;
            row["error"] = e.what();
        }
        row["last"] = d.filename().string() == vm.last_snapshot;
        rows.push_back(row);
    }
    return ok({{"snapshots", rows}});
}

nlohmann::json Service::op_console(Client& c, Vm& vm, const nlohmann::json& req) {
    if (!req.value("follow", true)) return ok({{"backlog", worker::bytes_to_text(vm.console)}});
    c.console_vm = vm.name;
    vm.consoles.insert(c.fd);
    return ok({{"backlog", worker::bytes_to_text(vm.console)}, {"state", state_name(vm.state)}});
}

nlohmann::json Service::vm_row(const Vm& vm) {
    nlohmann::json r = {{"name", vm.name},
                        {"state", state_name(vm.state)},
                        {"pid", vm.pidfd >= 0 ? vm.pid : 0},
                        {"guest", vm.guest},
                        {"memory_mib", vm.memory_mib},
                        {"restart", vm.restart},
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
    for (const auto& [name, vm] : vms_) rows.push_back(vm_row(vm));
    return ok({{"vms", rows}});
}

void Service::finish_busy(Vm& vm, const nlohmann::json& message) {
    if (vm.waiting) reply(vm.waiting->client, message);
    vm.waiting.reset();
    vm.busy.clear();
}

// --- workers -----------------------------------------------------------------

// Starts the VM's worker: a listening socket in the VM's directory (the
// worker inherits it as fd 3 and keeps it, so a later service can connect),
// our connection queued on it before the worker even runs, a pidfd to learn
// of its death.
std::string Service::spawn(Vm& vm) {
    const std::string dir = vm_dir(vm);
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
    if (!vm.restore_next.empty()) {
        args.insert(args.end(), {"--restore", snap_dir(vm, vm.restore_next)});
    } else {
        args.insert(args.end(), {vm.guest, "--memory", std::to_string(vm.memory_mib)});
        if (!vm.cmdline.empty()) args.insert(args.end(), {"--cmdline", vm.cmdline});
    }
    if (vm.start_paused) args.push_back("--paused");
    if (!vm.test_fault.empty()) args.insert(args.end(), {"--test-fault", vm.test_fault});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    // Its own process group (a Ctrl-C for the service is not for the VMs),
    // no blocked signals, output to the VM's log.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, lfd, 3);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    const std::string log_path = dir + "/worker.log";
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int err = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(lfd);
    if (err != 0) {
        ::close(conn);
        return fmt::format("cannot start worker {}: {}", cfg_.worker_path, std::strerror(err));
    }
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
    vm.console.clear();
    vm.op_start_ns = vm.op_start_ns ? vm.op_start_ns : now_ns();
    worker_fds_[vm.pidfd] = vm.name;
    worker_fds_[conn] = vm.name;
    watch(kPidfd, vm.pidfd);
    watch(kWorkerConn, conn);
    save(vm);
    trace(vm, vm.restore_next.empty() ? "start" : "start-from-snapshot",
          {{"pid", pid}, {"snapshot", vm.restore_next}});
    return "";
}

bool Service::connect_worker(Vm& vm) {
    const std::string sock = vm_dir(vm) + "/worker.sock";
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
        trace(vm, "adopted", {{"pid", vm.pid}});
        log(fmt::format("{}: re-adopted worker {}", vm.name, vm.pid));
    } else {
        move(vm, VmEvent::Silent);
        trace(vm, "orphaned", {{"pid", vm.pid}});
        log(fmt::format("{}: worker {} runs but does not answer: orphaned", vm.name, vm.pid));
    }
    save(vm);
}

void Service::on_worker_message(Vm& vm) {
    const bool open = vm.reader->read_once();
    nlohmann::json m;
    while (vm.reader && vm.reader->pop(m)) {
        const std::string type = m.value("type", "");
        if (type == "console") {
            const std::string bytes = worker::text_to_bytes(m.value("data", ""));
            vm.console += bytes;
            if (vm.console.size() > kConsoleBacklog)
                vm.console.erase(0, vm.console.size() - kConsoleBacklog);
            for (int fd : std::set<int>(vm.consoles)) reply(fd, {{"console", m["data"]}});
            continue;
        }
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
                trace_span(vm, "starting", vm.op_start_ns, {{"pid", vm.pid}});
                if (vm.busy == "start" || (vm.busy == "restore" && !vm.start_paused)) {
                    if (vm.busy == "restore") {
                        vm.last_snapshot = vm.restore_next;
                        trace_span(vm, "restore", vm.op_start_ns, {{"snapshot", vm.restore_next}});
                    }
                    finish_busy(vm, ok({{"vm", vm_row(vm)}}));
                }
                if (vm.restarts && vm.state == VmState::Running)
                    trace(vm, "restarted", {{"pid", vm.pid}, {"restarts", vm.restarts}});
                vm.op_start_ns = 0;
            }
            save(vm);
        } else if (type == "paused" || type == "resumed") {
            move(vm, type == "paused" ? VmEvent::Paused : VmEvent::Runs);
            vm.memory_hash = m.value("memory_hash", "");
            trace(vm, type, {{"memory_hash", vm.memory_hash}});
            save(vm);
            if (vm.busy == "restore" && type == "paused") {
                vm.last_snapshot = vm.restore_next;
                trace_span(vm, "restore", vm.op_start_ns, {{"snapshot", vm.restore_next}});
                finish_busy(vm, ok({{"vm", vm_row(vm)}}));
            }
        } else if (type == "snapshot") {
            const std::string snap = fs::path(m.value("dir", "")).filename().string();
            vm.last_snapshot = snap;
            save(vm);
            trace_span(vm, "snapshot", vm.op_start_ns,
                       {{"snapshot", snap}, {"memory_bytes", m["memory_bytes"]}});
        } else if (type == "error" && m.contains("id")) {
            trace(vm, "request-failed", {{"error", m.value("message", "")}});
        } else if (type == "error") {
            vm.said = m.value("message", "");
            trace(vm, "worker-error", {{"error", vm.said}});
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
    if (!open) {
        // The worker closed its side; its pidfd tells when it is gone.
        unwatch(vm.conn);
        worker_fds_.erase(vm.conn);
        ::close(vm.conn);
        vm.conn = -1;
        vm.reader.reset();
    }
}

void Service::drop_worker(Vm& vm) {
    if (vm.conn >= 0) {
        // Read what is left first: the result and the last console bytes.
        on_worker_message(vm);
        if (vm.conn >= 0) {
            unwatch(vm.conn);
            worker_fds_.erase(vm.conn);
            ::close(vm.conn);
            vm.conn = -1;
            vm.reader.reset();
        }
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
        std::ifstream in(vm_dir(vm) + "/result.json");
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
    trace(vm, "worker-died", {{"pid", vm.pid}, {"reason", reason}}, t_detected);
    log(fmt::format("{}: worker {} {}", vm.name, vm.pid, reason));
    for (int fd : std::set<int>(vm.consoles))
        reply(fd, {{"event", "worker-died"}, {"reason", reason}});
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
        save(vm);
        return;
    }
    // A worker that dies as it starts: the client hears why, and the
    // policy decides as for any other death (a crash loop at start).
    if (vm.busy == "start")
        finish_busy(vm, error(1, fmt::format("VM '{}': worker {}", vm.name, reason)));
    if (vm.busy == "snapshot") finish_busy(vm, error(1, "the worker died during the snapshot"));
    if (vm.busy == "stop") {
        trace_span(vm, "stop", vm.op_start_ns);
        finish_busy(vm, ok({{"vm", vm_row(vm)}}));
        save(vm);
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
        save(vm);
    }
}

// Exponential back-off: the first restart at once, then 100 ms, 200 ms, ...
// up to 10 s; more than kMaxRestartsPerMinute restarts in a minute is a
// crash loop: the VM is left failed.
void Service::schedule_restart(Vm& vm, bool failed) {
    const int64_t now = unix_ms();
    std::erase_if(vm.restart_times_ms, [now](int64_t t) { return now - t > 60000; });
    if (vm.started_unix_ms && now - vm.started_unix_ms > int64_t(kStableRunMs))
        vm.consecutive_failures = 0;
    if (vm.restart_times_ms.size() >= kMaxRestartsPerMinute) {
        move(vm, VmEvent::GiveUp);
        vm.last_exit += fmt::format(
            "; crash loop: {} restarts in the last minute, giving up "
            "('ptv vm start {}' tries again)",
            vm.restart_times_ms.size(), vm.name);
        trace(vm, "crash-loop", {{"restarts_last_minute", vm.restart_times_ms.size()}});
        log(fmt::format("{}: crash loop, restarts stopped", vm.name));
        save(vm);
        return;
    }
    const uint64_t delay_ms =
        vm.consecutive_failures == 0
            ? 0
            : std::min(kBackoffMaxMs, kBackoffBaseMs << std::min(vm.consecutive_failures - 1, 16u));
    if (failed) ++vm.consecutive_failures;
    vm.restart_times_ms.push_back(now);
    move(vm, VmEvent::Restart);
    vm.restart_at_ns = now_ns() + delay_ms * 1000000;
    trace(vm, "restart-scheduled",
          {{"delay_ms", delay_ms},
           {"attempt", vm.consecutive_failures},
           {"from_snapshot", vm.last_snapshot}});
    save(vm);
    if (delay_ms == 0)
        on_timer();
    else
        arm_timer();
}

void Service::arm_timer() {
    uint64_t next = 0;
    for (const auto& [name, vm] : vms_)
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
    for (auto& [name, vm] : vms_) {
        if (!vm.restart_at_ns || vm.restart_at_ns > now) continue;
        vm.restart_at_ns = 0;
        if (vm.state != VmState::Restarting) continue;
        ++vm.restarts;
        vm.restore_next = vm.last_snapshot;
        vm.op_start_ns = now;
        if (std::string err = spawn(vm); !err.empty()) {
            move(vm, VmEvent::GiveUp);
            vm.last_exit = err;
            save(vm);
        }
    }
    arm_timer();
}

}  // namespace

int run_service(const ServiceConfig& config) {
    Service s(config);
    return s.run();
}

}  // namespace ptv::vmms

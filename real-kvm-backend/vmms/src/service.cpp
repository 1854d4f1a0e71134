#include "ptv/vmms/service.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ptv/common/error.hpp"
#include "service_core.hpp"
#include "service_reply.hpp"

namespace fs = std::filesystem;

namespace ptv::vmms {

namespace {
// How long a send to one client may wait for it to read.
constexpr timeval kClientSendLimit{2, 0};
}  // namespace

Service::Service(const ServiceConfig& c)
    : cfg_(c),
      vms_(c.state_dir, [this](const std::string& line) { log(line); }),
      consoles_([this](int client, const nlohmann::json& m) { reply(client, m); }) {}

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
            fmt::format("a vmms service is already running on {}; "
                        "stop it first ('ptv vmms stop')",
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
    trace_.open(cfg_.trace_path.empty() ? cfg_.state_dir + "/trace.json" : cfg_.trace_path);
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

    vms_.load();
    for (auto& [name, vm] : vms_.all()) trace_.name_vm(vm.id, vm.name);
    for (auto& [name, vm] : vms_.all()) adopt(vm);
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
                        // One loop serves every client: one that stops
                        // reading (a console follower gone to sleep) must
                        // not stop it. A send that cannot go on for
                        // kClientSendLimit fails, and reply() drops that
                        // client.
                        ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &kClientSendLimit,
                                     sizeof kClientSendLimit);
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
                        if (Vm* vm = vms_.find(it->second)) on_worker_message(*vm);
                    break;
                case kPidfd:
                    if (auto it = worker_fds_.find(fd); it != worker_fds_.end())
                        if (Vm* vm = vms_.find(it->second)) on_worker_death(*vm);
                    break;
                case kIncoming:
                    if (auto it = worker_fds_.find(fd); it != worker_fds_.end())
                        if (Vm* vm = vms_.find(it->second)) on_incoming(*vm);
                    break;
            }
        }
    }
    // The workers go on; a service started later re-adopts them.
    for (auto& [name, vm] : vms_.all()) {
        vms_.save(vm);
        if (vm.pidfd >= 0) trace_.instant(vm.id, "service-left", {{"pid", vm.pid}});
    }
    trace_.service_stop();
    for (auto& [fd, c] : clients_) ::close(fd);
    ::close(listen_);
    ::unlink(cfg_.socket_path.c_str());
    trace_.close();
    log("stopped; running VMs keep running");
    return 0;
}

void Service::close_client(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    consoles_.detach(it->second.console_vm, fd);
    for (auto& [name, vm] : vms_.all()) {
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

int run_service(const ServiceConfig& config) {
    Service s(config);
    return s.run();
}

}  // namespace ptv::vmms

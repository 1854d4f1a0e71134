// Live migration between two management services, the way a cluster moves
// a running VM from one host to another (Hyper-V's live migration between
// cluster nodes): the destination's service makes the VM's record and
// listens for the stream (`receive`); the source's service tells the VM's
// worker to migrate there (`migrate`). The stream goes worker to worker
// (real-kvm-backend/migration); each service only supervises its own.
// When the guest runs on the destination, the source's worker ends and the
// VM's record there goes with it; if the migration fails before the
// switch-over, the guest runs on at the source and the destination's
// record is removed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

#include "ptv/common/clock.hpp"
#include "service_core.hpp"
#include "service_reply.hpp"

namespace ptv::vmms {

namespace {

// A listening TCP socket on address:port; -1 and `err` set when it cannot.
int listen_tcp(const std::string& address, int port, std::string& err) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) {
        err = fmt::format("'{}' is not an IPv4 address", address);
        return -1;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd, 1) < 0) {
        err = fmt::format("cannot listen on {}:{}: {}", address, port, std::strerror(errno));
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

nlohmann::json Service::op_receive(const nlohmann::json& req) {
    const std::string address = req.value("address", "0.0.0.0");
    const int port = req.value("port", 0);
    if (port <= 0 || port > 65535)
        return error(2, fmt::format("receive needs a port from 1 to 65535, not {}", port));
    nlohmann::json refusal;
    Vm* vm = vms_.create(req, refusal);
    if (!vm) return refusal;
    std::string err;
    const int lfd = listen_tcp(address, port, err);
    if (lfd < 0) {
        vms_.remove(vm->name);
        return error(1, err);
    }
    trace_.name_vm(vm->id, vm->name);
    trace_.instant(vm->id, "receive", {{"address", address}, {"port", port}});
    vm->incoming_listen = lfd;
    vm->busy = "receive";
    worker_fds_[lfd] = vm->name;
    watch(kIncoming, lfd);
    return ok({{"vm", vm_row(*vm)}, {"listening", fmt::format("{}:{}", address, port)}});
}

void Service::close_incoming(Vm& vm) {
    if (vm.incoming_listen < 0) return;
    unwatch(vm.incoming_listen);
    worker_fds_.erase(vm.incoming_listen);
    ::close(vm.incoming_listen);
    vm.incoming_listen = -1;
}

// The source connected: one stream, handed to a new worker that builds the
// machine the stream's hello describes.
void Service::on_incoming(Vm& vm) {
    const int conn = ::accept4(vm.incoming_listen, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;
    close_incoming(vm);
    vm.incoming_conn = conn;
    vm.op_start_ns = now_ns();
    const std::string err = spawn(vm);
    ::close(conn);
    vm.incoming_conn = -1;
    if (!err.empty()) {
        log(fmt::format("{}: cannot receive: {}", vm.name, err));
        trace_.instant(vm.id, "receive-failed", {{"error", err}});
        vms_.remove(vm.name);
    }
}

nlohmann::json Service::op_migrate(Client& c, Vm& vm, const nlohmann::json& req) {
    if (!vm.busy.empty())
        return error(1,
                     fmt::format("VM '{}' is busy ({} in progress); try again", vm.name, vm.busy));
    if (vm.state != VmState::Running || vm.conn < 0)
        return error(1, fmt::format("VM '{}' is {}; only a running VM migrates live (start it)",
                                    vm.name, state_name(vm.state)));
    const std::string to = req.value("to", "");
    if (to.find(':') == std::string::npos)
        return error(2, "migrate needs 'to' as HOST:PORT (a service that is receiving the VM)");
    vm.busy = "migrate";
    vm.waiting = Pending{c.fd, "migrate"};
    vm.op_start_ns = now_ns();
    send_worker(vm,
                {{"type", "migrate"},
                 {"to", to},
                 {"mode", req.value("mode", "precopy")},
                 {"policy", req.value("policy", "qemu")},
                 {"timeout_s", req.value("timeout_s", 5.0)}},
                c.fd, "migrate");
    return nullptr;  // answered when the worker reports the migration's end
}

bool Service::on_migration_message(Vm& vm, const nlohmann::json& m) {
    const std::string type = m.value("type", "");
    if (type != "migration-round" && type != "migration") return false;
    if (type == "migration-round") return true;  // the rounds are in the final report
    if (auto id = m.find("id"); id != m.end() && id->is_number_integer())
        vm.requests.erase(id->get<int64_t>());
    const bool done = m.value("status", "") == "done";
    trace_.span(vm.id, "migrate", vm.op_start_ns,
                {{"to", m.value("to", "")}, {"status", m.value("status", "")}});
    if (done) {
        // The worker ends now; its death removes the record (supervisor.cpp).
        vm.migrated_to = m.value("to", "");
        nlohmann::json report = m;
        report.erase("type");
        report.erase("id");
        finish_busy(vm, ok({{"migration", report}}));
    } else {
        finish_busy(vm, error(1, fmt::format("VM '{}': migration failed: {}; {}", vm.name,
                                             m.value("message", ""),
                                             m.value("guest", "running on the source"))));
    }
    return true;
}

}  // namespace ptv::vmms

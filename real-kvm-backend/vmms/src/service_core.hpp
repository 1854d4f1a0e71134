// The service's one object: a single thread, one epoll loop over the
// listening socket, the clients, each worker's control socket and pidfd, a
// restart timerfd and a signalfd. Its parts are their own files:
//   service.cpp         set-up, the loop, clients (this class's core)
//   requests.cpp        the protocol verbs (README.md, "Protocol")
//   supervisor.cpp      the Worker Process Manager: spawn, adopt, the
//                       worker's reports, death, restart by policy
//   vm_table.cpp        the Virtual Machine Manager (VMs and vm.json)
//   vm_state.cpp        the lifecycle: every state change
//   restart_policy.cpp  back-off and the crash-loop cap
//   console_mux.cpp     the console multiplexer
//   snapshot_store.cpp  snapshots on disk without a worker
//   migration_ops.cpp   live migration to and from another service
//   lifecycle_trace.cpp STATE/trace.json
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "console_mux.hpp"
#include "lifecycle_trace.hpp"
#include "ptv/vmms/service.hpp"
#include "ptv/worker/control.hpp"
#include "vm.hpp"
#include "vm_table.hpp"

namespace ptv::vmms {

// What an epoll event is about (the upper half of its data).
enum Kind : uint32_t { kListen, kSignal, kTimer, kClient, kWorkerConn, kPidfd, kIncoming };

class Service {
  public:
    explicit Service(const ServiceConfig& c);
    int run();

  private:
    struct Client {
        int fd;
        worker::MessageReader reader;
        std::string console_vm;  // attached to this VM's console
    };

    // --- set-up, the loop, clients (service.cpp) ---
    void open_socket();
    void watch(Kind kind, int fd);
    void unwatch(int fd);
    void on_client(int fd);
    void close_client(int fd);
    void reply(int client, const nlohmann::json& message);
    void log(const std::string& line);
    void move(Vm& vm, VmEvent event);

    // --- requests (requests.cpp) ---
    nlohmann::json handle(Client& c, const nlohmann::json& req);
    nlohmann::json op_create(const nlohmann::json& req);
    nlohmann::json op_shutdown(const nlohmann::json& req);
    nlohmann::json op_start(Client& c, Vm& vm);
    nlohmann::json op_stop(Client& c, Vm& vm);
    nlohmann::json op_pause_resume(Client& c, Vm& vm, const std::string& op);
    nlohmann::json op_delete(Vm& vm);
    nlohmann::json op_snapshot(Client& c, Vm& vm, const std::string& snap);
    nlohmann::json op_restore(Client& c, Vm& vm, const std::string& snap, bool paused);
    nlohmann::json op_console(Client& c, Vm& vm, const nlohmann::json& req);

    // --- live migration between services (migration_ops.cpp) ---
    nlohmann::json op_receive(const nlohmann::json& req);
    nlohmann::json op_migrate(Client& c, Vm& vm, const nlohmann::json& req);
    void on_incoming(Vm& vm);
    void close_incoming(Vm& vm);
    // A worker message about the migration; true when it was one.
    bool on_migration_message(Vm& vm, const nlohmann::json& m);
    nlohmann::json list();
    nlohmann::json vm_row(const Vm& vm);
    void finish_busy(Vm& vm, const nlohmann::json& message);

    // --- workers (supervisor.cpp) ---
    std::string spawn(Vm& vm);
    void adopt(Vm& vm);
    bool connect_worker(Vm& vm);
    void kill_worker(Vm& vm);
    void stop_all_workers();
    void on_worker_message(Vm& vm);
    void on_worker_death(Vm& vm);
    void close_worker_conn(Vm& vm);
    void drop_worker(Vm& vm);
    void schedule_restart(Vm& vm, bool failed);
    void arm_timer();
    void on_timer();
    void send_worker(Vm& vm, nlohmann::json message, int client, const std::string& op);

    ServiceConfig cfg_;
    int epoll_ = -1, listen_ = -1, signals_ = -1, timer_ = -1;
    bool stopping_ = false;
    VmTable vms_;
    ConsoleMux consoles_;
    LifecycleTrace trace_;
    std::map<int, Client> clients_;
    std::map<int, std::string> worker_fds_;  // conn or pidfd -> VM name
    int64_t next_request_id_ = 1;
};

}  // namespace ptv::vmms

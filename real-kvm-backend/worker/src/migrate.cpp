#include "ptv/worker/migration_agent.hpp"

#include <sys/socket.h>

#include <fmt/format.h>
#include <chrono>
#include <future>

#include "ptv/common/clock.hpp"
#include "ptv/migration/source.hpp"

namespace ptv::worker {

MigrationAgent::MigrationAgent(VirtualMachine& vm, VcpuLoop& loop, Identity identity,
                               std::function<nlohmann::json()> save_state)
    : vm_(vm), loop_(loop), identity_(std::move(identity)), save_state_(std::move(save_state)) {}

MigrationAgent::~MigrationAgent() {
    // An incoming migration that never ran has nothing to report.
    stop_source();
}

// A source thread must not outlive the VM it reads: cut its connection,
// wait for it.
void MigrationAgent::stop_source() {
    run_over_.store(true);
    if (thread_.joinable()) {
        if (int fd = fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
        thread_.join();
    }
}

void MigrationAgent::finish() {
    stop_source();
    if (incoming_) {
        std::lock_guard lock(lock_);
        if (report_.is_null()) report_ = incoming_->finish();
    }
}

nlohmann::json MigrationAgent::report() const {
    std::lock_guard lock(lock_);
    return report_;
}

void MigrationAgent::guest_running(uint64_t t_ns) {
    if (incoming_) incoming_->guest_running(t_ns);
}

// On the vCPU thread (a posted job): stop between two instructions and
// take the state; the vCPU then waits in run_jobs() until the run ends
// (Migrated) or a resume is posted (the migration failed).
nlohmann::json MigrationAgent::pause_and_save() {
    auto done = std::make_shared<std::promise<nlohmann::json>>();
    auto result = done->get_future();
    const uint64_t t_asked = now_ns();
    loop_.post([this, done, t_asked] {
        loop_.set_paused(true);
        try {
            const uint64_t t_out = now_ns();  // the vCPU is out of the guest
            nlohmann::json state = save_state_();
            state["pause_timing"] = {{"kick_ms", double(t_out - t_asked) / 1e6},
                                     {"save_ms", double(now_ns() - t_out) / 1e6},
                                     {"t_done", now_ns()}};
            done->set_value(std::move(state));
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    });
    while (result.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready)
        if (run_over_.load() || loop_.state() == VcpuLoop::State::Finished)
            throw migration::ProtocolError("the guest stopped before the switch-over");
    nlohmann::json state = result.get();
    state["pause_timing"]["wake_ms"] =
        double(now_ns() - state["pause_timing"]["t_done"].get<uint64_t>()) / 1e6;
    return state;
}

void MigrationAgent::migrate(const nlohmann::json& request, Reply reply,
                             std::unique_ptr<migration::PreCopyPolicy> policy) {
    if (thread_.joinable() || incoming_) {
        reply({{"type", "migration"},
               {"status", "failed"},
               {"message", "a migration of this guest is already under way"}});
        return;
    }
    thread_ = std::thread(
        [this, request, reply = std::move(reply), policy = std::move(policy)]() mutable {
            run_source(request, reply, std::move(policy));
        });
}

void MigrationAgent::run_source(const nlohmann::json& request, const Reply& reply,
                                std::unique_ptr<migration::PreCopyPolicy> policy) {
    const std::string to = request.value("to", "");
    const double timeout_s = request.value("timeout_s", 5.0);
    migration::Mode mode = migration::Mode::PreCopy;
    std::unique_ptr<migration::MigrationSource> source;
    try {
        mode = migration::parse_mode(request.value("mode", "precopy"));
        if (!policy) {
            const std::string policy_name = request.value("policy", "qemu");
            const double downtime_limit_s =
                policy_name == "qemu" && request.contains("downtime_limit_ms")
                    ? request["downtime_limit_ms"].get<double>() / 1e3
                    : migration::kQemuDefaultDowntimeLimitS;
            policy = migration::make_precopy_policy(policy_name, downtime_limit_s);
        }
        migration::Connection conn(migration::connect_tcp(to, timeout_s), to);
        fd_.store(conn.fd());
        const nlohmann::json meta = {{"name", identity_.name},
                                     {"image", identity_.image_path},
                                     {"cmdline", identity_.cmdline},
                                     {"timeout_s", timeout_s}};
        migration::open_session(conn, migration::Kind::Live, mode, vm_.memory().size(), meta);
        migration::SourceVm vm;
        vm.ram = vm_.ram();
        vm.start_dirty_log = [this] {
            vm_.track_device_writes(true);
            vm_.kvm_vm().set_dirty_logging(0, true);
            vm_.kvm_vm().dirty_log(0);  // what was dirty before does not count
        };
        // KVM's log (the vCPU's writes) and the devices' own writes.
        vm.dirty_log = [this] {
            auto bitmap = vm_.kvm_vm().dirty_log(0);
            vm_.take_device_writes(bitmap);
            return bitmap;
        };
        vm.stop_dirty_log = [this] {
            vm_.track_device_writes(false);
            vm_.kvm_vm().set_dirty_logging(0, false);
        };
        vm.pause_and_save = [this] { return pause_and_save(); };
        source = std::make_unique<migration::MigrationSource>(
            vm, conn, mode, std::move(policy), [&reply](const migration::RoundRecord& r) {
                nlohmann::json m = r.to_json();
                m["type"] = "migration-round";
                reply(m);
            });
        const migration::SourceReport report = source->run();
        fd_.store(-1);
        nlohmann::json j = report.to_json();
        j["to"] = to;
        {
            std::lock_guard lock(lock_);
            report_ = j;
        }
        nlohmann::json m = j;
        m["type"] = "migration";
        m["status"] = "done";
        reply(m);
        loop_.end(VcpuLoop::End::Migrated,
                  fmt::format("migrated to {} ({})", to, migration::mode_name(mode)));
    } catch (const std::exception& e) {
        fd_.store(-1);
        const bool switched = source && source->switched();
        std::string message = e.what();
        if (switched) {
            // Post-copy after Go: the destination had the guest's CPU
            // and part of its memory, we had the rest.
            message = fmt::format(
                "{}: the guest is lost -- after the switch-over of a "
                "post-copy migration its memory existed only in two halves "
                "(post-copy's known risk)",
                message);
            reply({{"type", "migration"},
                   {"status", "failed"},
                   {"message", message},
                   {"guest", "lost"}});
            loop_.end(VcpuLoop::End::Lost, message);
            return;
        }
        // Before the switch-over nothing is lost: the guest runs on here.
        try {
            vm_.track_device_writes(false);
            vm_.kvm_vm().set_dirty_logging(0, false);
        } catch (const std::exception&) {
        }
        if (source && source->paused()) loop_.post([this] { loop_.set_paused(false); });
        if (!run_over_.load())
            reply({{"type", "migration"},
                   {"status", "failed"},
                   {"message", message},
                   {"guest", "running on the source"}});
    }
}

void MigrationAgent::receive(std::unique_ptr<migration::Connection> conn, migration::Mode mode) {
    migration::DestinationVm vm;
    vm.ram = vm_.ram();
    vm.restore = [this](const nlohmann::json& state) { vm_.restore(state); };
    vm.lost = [this](const std::string& message) { loop_.end(VcpuLoop::End::Lost, message); };
    incoming_ = std::make_unique<migration::MigrationDestination>(vm, std::move(conn), mode);
    incoming_->receive_until_go();
    incoming_->start_tail();
}

}  // namespace ptv::worker

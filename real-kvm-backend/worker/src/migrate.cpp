// The worker's side of live migration: the source (a thread that runs the
// migration while the vCPU keeps running, see migration/source.hpp) and
// the destination (before run(): memory and state arrive, then the guest
// runs here; see migration/destination.hpp). The algorithms live in
// real-kvm-backend/migration; what is here is how they reach this VM.
#include <sys/socket.h>

#include <fmt/format.h>
#include <chrono>
#include <future>

#include "ptv/common/clock.hpp"
#include "ptv/migration/source.hpp"
#include "ptv/worker/worker.hpp"

namespace ptv::worker {

// On the vCPU thread (a posted job): stop between two instructions and
// take the state; the vCPU then waits in run_jobs() until the run ends
// (Migrated) or resume() is posted (the migration failed).
nlohmann::json WorkerProcess::pause_and_save() {
    auto done = std::make_shared<std::promise<nlohmann::json>>();
    auto result = done->get_future();
    post([this, done] {
        paused_.store(true);
        try {
            done->set_value(snapshot_state());
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    });
    while (result.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready)
        if (loop_done_.load())
            throw migration::ProtocolError("the guest stopped before the switch-over");
    return result.get();
}

void WorkerProcess::end_migration(External why, std::string message) {
    {
        std::lock_guard lock(migration_lock_);
        external_message_ = std::move(message);
    }
    external_.store(why);
    jobs_cv_.notify_all();
    if (vcpu_) vcpu_->kick();
}

void WorkerProcess::migrate(const nlohmann::json& request, Reply reply) {
    if (migration_thread_.joinable() || config_.incoming) {
        reply({{"type", "migration"},
               {"status", "failed"},
               {"message", "a migration of this guest is already under way"}});
        return;
    }
    migration_thread_ = std::thread([this, request, reply = std::move(reply)] {
        const std::string to = request.value("to", "");
        const double timeout_s = request.value("timeout_s", 5.0);
        migration::Mode mode = migration::Mode::PreCopy;
        std::unique_ptr<migration::MigrationSource> source;
        try {
            mode = migration::parse_mode(request.value("mode", "precopy"));
            auto policy = migration::PreCopyPolicy::named(request.value("policy", "qemu"));
            if (request.contains("downtime_limit_ms") && policy.name() == "qemu")
                policy = migration::PreCopyPolicy::qemu(
                    request["downtime_limit_ms"].get<double>() / 1e3);
            migration::Connection conn(migration::connect_tcp(to, timeout_s), to);
            migration_fd_.store(conn.fd());
            const nlohmann::json meta = {{"name", config_.name},
                                         {"image", config_.image_path},
                                         {"cmdline", config_.cmdline}};
            migration::open_session(conn, migration::Kind::Live, mode, memory_.size(), meta);
            migration::SourceVm vm;
            vm.ram = memory_.span();
            vm.start_dirty_log = [this] {
                vm_.set_dirty_logging(0, true);
                vm_.dirty_log(0);  // what was dirty before does not count
            };
            vm.dirty_log = [this] { return vm_.dirty_log(0); };
            vm.stop_dirty_log = [this] { vm_.set_dirty_logging(0, false); };
            vm.pause_and_save = [this] { return pause_and_save(); };
            vm.resume = [this] {
                post([this] { paused_.store(false); });
            };
            source = std::make_unique<migration::MigrationSource>(
                vm, conn, mode, policy, [&reply](const migration::RoundRecord& r) {
                    reply({{"type", "migration-round"},
                           {"round", r.round},
                           {"pages", r.pages},
                           {"zero_pages", r.zero_pages},
                           {"bytes", r.bytes},
                           {"pages_dirtied", r.pages_dirtied},
                           {"start_ms", double(r.start_ns) / 1e6},
                           {"duration_ms", double(r.duration_ns) / 1e6},
                           {"decision", r.decision},
                           {"stop_and_copy", r.stop_and_copy}});
                });
            const migration::SourceReport report = source->run();
            migration_fd_.store(-1);
            nlohmann::json j = report.to_json();
            j["to"] = to;
            {
                std::lock_guard lock(migration_lock_);
                migration_report_ = j;
            }
            nlohmann::json m = j;
            m["type"] = "migration";
            m["status"] = "done";
            reply(m);
            end_migration(External::Migrated, fmt::format("migrated to {} ({})", to,
                                                          migration::mode_name(mode)));
        } catch (const std::exception& e) {
            migration_fd_.store(-1);
            const bool switched = source && source->switched();
            std::string message = e.what();
            if (switched) {
                // Post-copy after Go: the destination had the guest's CPU
                // and part of its memory, we had the rest.
                message = fmt::format("{}: the guest is lost -- after the switch-over of a "
                                      "post-copy migration its memory existed only in two halves "
                                      "(post-copy's known risk)",
                                      message);
                reply({{"type", "migration"}, {"status", "failed"}, {"message", message},
                       {"guest", "lost"}});
                end_migration(External::Lost, message);
                return;
            }
            // Before the switch-over nothing is lost: the guest runs on here.
            try {
                vm_.set_dirty_logging(0, false);
            } catch (const std::exception&) {
            }
            if (source && source->paused()) post([this] { paused_.store(false); });
            if (!loop_done_.load())
                reply({{"type", "migration"},
                       {"status", "failed"},
                       {"message", message},
                       {"guest", "running on the source"}});
        }
    });
}

void WorkerProcess::receive_migration(std::unique_ptr<migration::Connection> conn,
                                      migration::Mode mode) {
    migration::DestinationVm vm;
    vm.ram = memory_.span();
    vm.restore = [this](const nlohmann::json& state) { restore_machine(state); };
    vm.lost = [this](const std::string& message) { end_migration(External::Lost, message); };
    incoming_ = std::make_unique<migration::MigrationDestination>(vm, std::move(conn), mode);
    incoming_->receive_until_go();
    incoming_->start_tail();
}

}  // namespace ptv::worker

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
    const uint64_t t_asked = now_ns();
    post([this, done, t_asked] {
        paused_.store(true);
        try {
            const uint64_t t_out = now_ns();  // the vCPU is out of the guest
            nlohmann::json state = snapshot_state();
            state["pause_timing"] = {{"kick_ms", double(t_out - t_asked) / 1e6},
                                     {"save_ms", double(now_ns() - t_out) / 1e6},
                                     {"t_done", now_ns()}};
            done->set_value(std::move(state));
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    });
    while (result.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready)
        if (loop_done_.load())
            throw migration::ProtocolError("the guest stopped before the switch-over");
    nlohmann::json state = result.get();
    state["pause_timing"]["wake_ms"] =
        double(now_ns() - state["pause_timing"]["t_done"].get<uint64_t>()) / 1e6;
    return state;
}

// On the vCPU thread (devices run there).
void WorkerProcess::mark_dirty(uint64_t gpa, uint64_t bytes) {
    if (!device_dirty_on_.load(std::memory_order_acquire) || bytes == 0) return;
    const uint64_t end = std::min<uint64_t>(gpa + bytes, memory_.size());
    for (uint64_t p = gpa / migration::kPageSize; p * migration::kPageSize < end; ++p)
        device_dirty_[p / 64].fetch_or(1ull << (p % 64), std::memory_order_relaxed);
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
            const std::string policy_name = request.value("policy", "qemu");
            const double downtime_limit_s =
                policy_name == "qemu" && request.contains("downtime_limit_ms")
                    ? request["downtime_limit_ms"].get<double>() / 1e3
                    : migration::kQemuDefaultDowntimeLimitS;
            auto policy = migration::make_precopy_policy(policy_name, downtime_limit_s);
            migration::Connection conn(migration::connect_tcp(to, timeout_s), to);
            migration_fd_.store(conn.fd());
            const nlohmann::json meta = {{"name", config_.name},
                                         {"image", config_.image_path},
                                         {"cmdline", config_.cmdline},
                                         {"timeout_s", timeout_s}};
            migration::open_session(conn, migration::Kind::Live, mode, memory_.size(), meta);
            migration::SourceVm vm;
            vm.ram = memory_.span();
            const size_t words = (memory_.size() / migration::kPageSize + 63) / 64;
            device_dirty_.reset(new std::atomic<uint64_t>[words]());
            vm.start_dirty_log = [this] {
                device_dirty_on_.store(true, std::memory_order_release);
                vm_.set_dirty_logging(0, true);
                vm_.dirty_log(0);  // what was dirty before does not count
            };
            // KVM's log (the vCPU's writes) and the devices' own writes.
            vm.dirty_log = [this, words] {
                auto bitmap = vm_.dirty_log(0);
                for (size_t w = 0; w < words && w < bitmap.size(); ++w)
                    bitmap[w] |= device_dirty_[w].exchange(0, std::memory_order_relaxed);
                return bitmap;
            };
            vm.stop_dirty_log = [this] {
                device_dirty_on_.store(false, std::memory_order_release);
                vm_.set_dirty_logging(0, false);
            };
            vm.pause_and_save = [this] { return pause_and_save(); };
            source = std::make_unique<migration::MigrationSource>(
                vm, conn, mode, std::move(policy), [&reply](const migration::RoundRecord& r) {
                    nlohmann::json m = r.to_json();
                    m["type"] = "migration-round";
                    reply(m);
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
            end_migration(External::Migrated,
                          fmt::format("migrated to {} ({})", to, migration::mode_name(mode)));
        } catch (const std::exception& e) {
            migration_fd_.store(-1);
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
                end_migration(External::Lost, message);
                return;
            }
            // Before the switch-over nothing is lost: the guest runs on here.
            try {
                device_dirty_on_.store(false);
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

// `ptv threads kvm`: the threads guest (guests/threads/) on the real KVM
// hypervisor, through `ptv kvm run`'s worker, with its timeline beside the
// simulator's exact answer for the same workload
// (sim/threads/guest/README.md).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "kvm_run.hpp"
#include "ptv/common/error.hpp"
#include "ptv/threads/guest/compare.hpp"
#include "ptv/threads/guest/guest_model.hpp"
#include "ptv/threads/guest/timeline.hpp"
#include "ptv/threads/sim/simulator.hpp"
#include "ptv/threads/sim/workload.hpp"
#include "ptv/worker/report.hpp"

namespace ptv::cli {

namespace {

namespace tg = ptv::threads::guest;
namespace ts = ptv::threads::sim;

struct KvmThreadsOptions {
    std::string model;
    std::string workload;
    int cpus = 1;
    int tick_ms = 10;
    std::string dispatch = "event";
};

std::string cell(double ticks) {
    return ticks < 0 ? "-" : fmt::format("{:.2f}", ticks);
}

int run_threads_kvm(const KvmThreadsOptions& o) {
    // Everything the user gave is checked here, before a worker or KVM.
    const tg::GuestModel model = tg::parse_guest_model(o.model);
    const ts::Workload work = ts::parse_workload(o.workload);
    tg::validate(model, work, o.cpus, o.tick_ms);
    const ts::Config cfg = tg::sim_config(model, o.cpus);
    const ts::Result predicted = ts::simulate(cfg, work);

    KvmRunOptions run;
    run.guest = "threads";
    run.cmdline = tg::guest_cmdline(model, o.tick_ms, work);
    run.cpus = o.cpus;
    run.dispatch = o.dispatch;
    run.disk_latency_ms = o.tick_ms;
    // The longest a model can take is the sum of every burst (many-to-one);
    // four times that, and time to boot, before the watchdog stops it.
    int64_t ticks = 0;
    for (const auto& t : work) ticks += ts::total_ticks(t);
    run.timeout_s = 10 + 4.0 * double(ticks * o.tick_ms) / 1000;
    nlohmann::json result;
    const int status = kvm_run(run, &result);
    if (result.is_null()) return status;  // kvm_run said why
    if (status != 0 || result.value("outcome", "") != "guest-exit") {
        std::fprintf(stderr, "%s", result.value("serial", "").c_str());
        std::fprintf(stderr, "%s\n", worker::outcome_line(result).c_str());
        return status != 0 ? status : 1;
    }
    const tg::GuestTimeline g = tg::parse_guest_output(result.value("serial", ""));
    const auto measured_times = tg::thread_times(g.events, g.threads, double(g.tick_us));
    const auto predicted_events = tg::predicted_events(work, predicted);
    const auto predicted_times = tg::thread_times(predicted_events, int(work.size()), 1.0);

    std::printf("ptv threads kvm: %s, %d vCPU%s, tick %d ms, dispatch %s\n",
                tg::to_string(model).c_str(), o.cpus, o.cpus == 1 ? "" : "s", o.tick_ms,
                o.dispatch.c_str());
    std::printf("workload: %s\n", ts::to_string(work).c_str());
    std::printf("simulator: ptv threads sim %s -c\n\n", tg::sim_options(model, o.cpus).c_str());
    std::printf("thread    start (KVM)  start (sim)   done (KVM)   done (sim)\n");
    for (size_t i = 0; i < work.size(); ++i) {
        const auto m = i < measured_times.size() ? measured_times[i] : tg::ThreadTimes{};
        std::printf("U%-7zu %12s %12.0f %12s %12.0f\n", i, cell(m.start).c_str(),
                    predicted_times[i].start, cell(m.done).c_str(), predicted_times[i].done);
    }
    const double total_ticks = double(g.total_us) / double(g.tick_us);
    std::printf(
        "\ntotal: %.2f ticks (%.1f ms) on KVM, %d ticks simulated: measured/predicted "
        "%.2f\n",
        total_ticks, double(g.total_us) / 1000, predicted.makespan,
        predicted.makespan > 0 ? total_ticks / predicted.makespan : 0.0);
    const std::string diff = tg::order_difference(predicted_events, g.events);
    if (diff.empty())
        std::printf("order of events: the simulator's (%zu events)\n", g.events.size());
    else
        std::printf("order of events: not the simulator's: %s\n", diff.c_str());
    int64_t block_ticks = 0;
    for (const auto& t : work)
        for (const auto& b : t)
            if (b.kind == ts::Burst::Block) block_ticks += b.ticks;
    std::printf("reads: %lld (one per block tick: %lld)\n", (long long)g.reads,
                (long long)block_ticks);
    return 0;
}

}  // namespace

Commands threads_kvm_commands(CLI::App& threads) {
    auto o = std::make_shared<KvmThreadsOptions>();
    auto* kvm = threads.add_subcommand(
        "kvm",
        "run the threads guest on KVM (user-level threads many-to-one, with blocking or "
        "asynchronous reads, or one-to-one on vCPUs) beside the simulator's answer");
    kvm->add_option("--model", o->model, "many-to-one | many-to-one-async | one-to-one")
        ->required();
    kvm->add_option("--workload", o->workload,
                    "bursts per thread as in 'ptv threads sim': \"c5 b2 c3, c4 b1\" (cN compute "
                    "N ticks, bN N disk reads of a tick each)")
        ->required();
    kvm->add_option("--cpus", o->cpus, "vCPUs (one-to-one; 1 to 8)")->capture_default_str();
    kvm->add_option("--tick-ms", o->tick_ms,
                    "milliseconds of a tick: a compute tick's work and each disk read's latency")
        ->capture_default_str();
    kvm->add_option("--dispatch", o->dispatch,
                    "how the worker serves the disk: inline, pool:N or event (ptv kvm run)")
        ->capture_default_str();
    return {{kvm, [o] { return run_threads_kvm(*o); }}};
}

}  // namespace ptv::cli

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
#include "ptv/threads/guest/guest_model.hpp"
#include "ptv/threads/guest/report.hpp"
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
    const tg::RunSetup setup{model, o.cpus, o.tick_ms, o.dispatch, work};
    std::fputs(tg::render_comparison(setup, predicted, g).c_str(), stdout);
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

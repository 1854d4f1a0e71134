#include "ptv/threads/guest/report.hpp"

#include <fmt/format.h>

#include "ptv/threads/guest/compare.hpp"

namespace ptv::threads::guest {

namespace ts = ptv::threads::sim;

namespace {

std::string ticks(double t) {
    return t < 0 ? "-" : fmt::format("{:.2f}", t);
}

}  // namespace

std::string render_comparison(const RunSetup& s, const ts::Result& predicted,
                              const GuestTimeline& g) {
    const auto predicted_events = guest::predicted_events(s.workload, predicted);
    const int threads = int(s.workload.size());
    const auto kvm = thread_times(g.events, threads, double(g.tick_us));
    const auto sim = thread_times(predicted_events, threads, 1.0);

    std::string out =
        fmt::format("ptv threads kvm: {}, {} vCPU{}, tick {} ms, dispatch {}\n", to_string(s.model),
                    s.cpus, s.cpus == 1 ? "" : "s", s.tick_ms, s.dispatch);
    out += fmt::format("workload: {}\n", ts::to_string(s.workload));
    out += fmt::format("simulator: ptv threads sim {} --workload \"{}\" -c\n\n",
                       sim_options(s.model, s.cpus), ts::to_string(s.workload));
    out += fmt::format("{:<8}{:>13}{:>13}{:>13}{:>13}\n", "thread", "start (KVM)", "start (sim)",
                       "done (KVM)", "done (sim)");
    for (int i = 0; i < threads; ++i)
        out += fmt::format("{:<8}{:>13}{:>13}{:>13}{:>13}\n", fmt::format("U{}", i),
                           ticks(kvm[size_t(i)].start), ticks(sim[size_t(i)].start),
                           ticks(kvm[size_t(i)].done), ticks(sim[size_t(i)].done));
    const double total = g.tick_us > 0 ? double(g.total_us) / double(g.tick_us) : 0;
    out += fmt::format(
        "\ntotal: {:.2f} ticks ({:.1f} ms) on KVM, {} ticks simulated: measured/predicted {:.2f}\n",
        total, double(g.total_us) / 1000, predicted.makespan,
        predicted.makespan > 0 ? total / predicted.makespan : 0.0);
    const std::string diff = order_difference(predicted_events, g.events);
    if (diff.empty())
        out += fmt::format("order of events: the simulator's ({} events)\n", g.events.size());
    else
        out += fmt::format("order of events: not the simulator's: {}\n", diff);
    int64_t block_ticks = 0;
    for (const auto& t : s.workload)
        for (const auto& b : t)
            if (b.kind == ts::Burst::Block) block_ticks += b.ticks;
    out += fmt::format("reads: {} (one per block tick: {})\n", g.reads, block_ticks);
    return out;
}

}  // namespace ptv::threads::guest

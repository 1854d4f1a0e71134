#include "ptv/threads/guest/guest_model.hpp"

#include <fmt/format.h>

#include "ptv/common/error.hpp"

namespace ptv::threads::guest {

namespace ts = ptv::threads::sim;

GuestModel parse_guest_model(const std::string& name) {
    if (name == "many-to-one") return GuestModel::ManyToOne;
    if (name == "many-to-one-async") return GuestModel::ManyToOneAsync;
    if (name == "one-to-one") return GuestModel::OneToOne;
    throw UsageError(
        fmt::format("--model {}: give many-to-one, many-to-one-async or one-to-one", name));
}

std::string to_string(GuestModel m) {
    switch (m) {
        case GuestModel::ManyToOne:
            return "many-to-one";
        case GuestModel::ManyToOneAsync:
            return "many-to-one-async";
        case GuestModel::OneToOne:
            return "one-to-one";
    }
    return "?";
}

std::string guest_word(GuestModel m) {
    switch (m) {
        case GuestModel::ManyToOne:
            return "sync";
        case GuestModel::ManyToOneAsync:
            return "async";
        case GuestModel::OneToOne:
            return "smp";
    }
    return "?";
}

ts::Config sim_config(GuestModel m, int cpus) {
    ts::Config c;
    c.costs = {0, 0, 0};
    c.cpus = 1;
    switch (m) {
        case GuestModel::ManyToOne:
            c.model = ts::Model::ManyToOne;
            break;
        case GuestModel::ManyToOneAsync:
            c.model = ts::Model::Activations;
            break;
        case GuestModel::OneToOne:
            c.model = ts::Model::OneToOne;
            c.cpus = cpus;
            break;
    }
    return c;
}

std::string sim_options(GuestModel m, int cpus) {
    const ts::Config c = sim_config(m, cpus);
    std::string s = fmt::format("--model {} --cpus {} --user-switch 0 --kernel-switch 0",
                                ts::to_string(c.model), c.cpus);
    if (c.model == ts::Model::Activations) s += " --upcall 0";
    return s;
}

void validate(GuestModel m, const ts::Workload& w, int cpus, int tick_ms) {
    if (cpus < 1 || cpus > kMaxCpus)
        throw UsageError(fmt::format("--cpus {}: give 1 to {} vCPUs", cpus, kMaxCpus));
    if (m != GuestModel::OneToOne && cpus != 1)
        throw UsageError(fmt::format(
            "--cpus {}: {} runs every thread on one vCPU; leave --cpus out or use --model "
            "one-to-one",
            cpus, to_string(m)));
    if (tick_ms < 1 || tick_ms > kMaxTickMs)
        throw UsageError(fmt::format("--tick-ms {}: give 1 to {} ms", tick_ms, kMaxTickMs));
    if (w.size() > size_t(kMaxThreads))
        throw UsageError(fmt::format("--workload has {} threads; the guest holds at most {}",
                                     w.size(), kMaxThreads));
    int64_t ticks = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        if (w[i].size() > size_t(kMaxBursts))
            throw UsageError(fmt::format(
                "--workload: thread U{} has {} bursts; the guest holds at most {} per thread", i,
                w[i].size(), kMaxBursts));
        ticks += ts::total_ticks(w[i]);
    }
    if (ticks > kMaxTotalTicks)
        throw UsageError(
            fmt::format("--workload has {} ticks of bursts; give at most {} for a run on KVM",
                        ticks, kMaxTotalTicks));
    ts::validate(sim_config(m, cpus), w);
}

std::string guest_cmdline(GuestModel m, int tick_ms, const ts::Workload& w) {
    return fmt::format("{} {} {}", guest_word(m), int64_t(tick_ms) * 1000, ts::to_string(w));
}

}  // namespace ptv::threads::guest

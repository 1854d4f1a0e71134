// Part 3: the counter guest migrated with your pre-copy policy
// (harness/live_counter.hpp). On the simulator always; where /dev/kvm
// opens (substrate kvm), for real too.
#include "harness/live_counter.hpp"

namespace ptv::lab::migration {

PTV_LAB_CASE("live-counter") {
    if (ctx.substrate() == Substrate::Kvm) require_kvm();
    const PreCopyProblem model = counter_model();
    ctx.input(model.about + ": " + model.command() +
              (ctx.substrate() == Substrate::Kvm
                   ? "\nthen for real: counter --cmdline 4096 (64 MiB) from one worker machine "
                     "to another on KVM, limit 300 ms"
                   : ""));
    check_precopy(ctx, model);
    if (ctx.substrate() == Substrate::Kvm) migrate_counter_on_kvm(ctx);
}

}  // namespace ptv::lab::migration

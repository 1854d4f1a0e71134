// The two policies of lab 06, as the kit's harness calls them. You write
// them in precopy.cpp and postcopy_push.cpp; the harness plugs them into
// the migration simulator (sim/migration/sim: simulate()) and, where the
// machine has /dev/kvm, your pre-copy policy into the real migrator
// (real-kvm-backend/migration) too. Provided by the kit (graded with the
// kit's copy).
#pragma once

#include <cstdint>
#include <memory>

#include "ptv/migration/postcopy_push.hpp"
#include "ptv/migration/precopy_policy.hpp"

namespace ptv::lab::migration {

using ptv::migration::MissingPages;
using ptv::migration::PostCopyPushPolicy;
using ptv::migration::PreCopyPolicy;
using ptv::migration::RoundStats;

// What a migration asks of its pre-copy policy (README.md, part 1).
struct MigrationGoals {
    // The stop-and-copy should fit in this: the guest is paused while the
    // pages still dirty cross the link.
    double downtime_limit_s = 0.3;
    // Never more pre-copy rounds than this.
    uint32_t max_rounds = 30;
};

// Part 1: when to stop pre-copying (Clark et al., NSDI 2005).
std::unique_ptr<PreCopyPolicy> make_lab_precopy_policy(const MigrationGoals& goals);

// Part 2: what post-copy pushes when no fault claims the link (Hines &
// Gopalan, VEE 2009). One object per migration.
std::unique_ptr<PostCopyPushPolicy> make_lab_push();

}  // namespace ptv::lab::migration

// Part 2's checks: a post-copy migration in the simulator with the
// student's push, beside the same migration with the kit's page-order push.
// The simulator itself refuses a push that picks a page the destination
// has already (it names the page); every page then crosses exactly once,
// so the degraded window is the same for every push, and the remote
// faults (and the guest's stall on them) are what a push decides.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/lab/harness.hpp"
#include "ptv/lab/migration/policies.hpp"
#include "ptv/migration/sim/simulator.hpp"

namespace ptv::lab::migration {

struct PostCopyProblem {
    std::string about;
    uint64_t memory_pages = 0;
    uint64_t bandwidth = 0;  // pages/s
    std::string dirty;       // here: the guest's accesses on the destination
    uint64_t latency_us = 200;
    // The student's faults may be at most this share of page order's
    // (1: no worse than page order), and never need to be fewer than 1.
    double fault_share = 1;

    ptv::migration::sim::Config config() const;
    std::string command() const;
};

// Runs `p` with the student's push (make_lab_push()) and with page order;
// fails unless the student's remote faults are within the bound.
void check_postcopy(Context& ctx, const PostCopyProblem& p);
void check_postcopy_all(Context& ctx, const std::vector<PostCopyProblem>& problems);

}  // namespace ptv::lab::migration

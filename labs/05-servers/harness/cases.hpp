// Every case of lab 05 runs once per server: "dw-..." on the student's
// DispatcherWorker, "fsm-..." on their FiniteStateMachine. SERVERS_LAB_CASE
// registers both from one body that gets the prefix.
#pragma once

#include <string>

#include "ptv/lab/harness.hpp"

#define SERVERS_LAB_CASE(suffix, fn)                                     \
    static void fn(::ptv::lab::Context& ctx, const std::string& prefix); \
    PTV_LAB_CASE_IMPL("dw-" suffix, PTV_LAB_CONCAT(fn, _dw)) {           \
        fn(ctx, "dw");                                                   \
    }                                                                    \
    PTV_LAB_CASE_IMPL("fsm-" suffix, PTV_LAB_CONCAT(fn, _fsm)) {         \
        fn(ctx, "fsm");                                                  \
    }                                                                    \
    static void fn([[maybe_unused]] ::ptv::lab::Context& ctx,            \
                   [[maybe_unused]] const std::string& prefix)

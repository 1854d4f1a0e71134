// The three threading models of the threads guest (guests/threads/) and
// the simulator configuration that predicts each (sim/threads/guest/README.md).
#pragma once

#include <string>

#include "ptv/threads/sim/simulator.hpp"

namespace ptv::threads::guest {

enum class GuestModel {
    ManyToOne,       // user-level threads, blocking system calls: the VM waits
    ManyToOneAsync,  // user-level threads, a read switches to another thread
    OneToOne         // one thread per vCPU (thread i on vCPU i mod N)
};

inline constexpr int kMaxCpus = 8;       // PTV_MAX_VCPUS
inline constexpr int kMaxThreads = 16;   // the guest's MAX_THREADS
inline constexpr int kMaxBursts = 32;    // the guest's MAX_BURSTS per thread
inline constexpr int kMaxTickMs = 1000;  // a tick of at most a second
inline constexpr int kMaxTotalTicks = 10000;

// "many-to-one", "many-to-one-async", "one-to-one"; throws ptv::UsageError.
GuestModel parse_guest_model(const std::string& name);
std::string to_string(GuestModel m);
// The guest's word for it: sync, async, smp.
std::string guest_word(GuestModel m);

// The simulator's model of what the guest does, with the switch costs at 0
// (a guest switch takes microseconds, a tick milliseconds):
//   many-to-one        sim many-to-one, 1 CPU
//   many-to-one-async  sim activations, 1 CPU, --upcall 0: a blocking call
//                      blocks only its thread, the others run on the CPU
//   one-to-one         sim one-to-one on `cpus` CPUs
ptv::threads::sim::Config sim_config(GuestModel m, int cpus);
// The same as `ptv threads sim` options, for the printout.
std::string sim_options(GuestModel m, int cpus);

// Throws ptv::UsageError (one line) for what the guest cannot run: more
// threads or bursts than it holds, cpus out of 1..8 or not 1 for the
// many-to-one models, a tick out of 1..1000 ms, too long a run.
void validate(GuestModel m, const ptv::threads::sim::Workload& w, int cpus, int tick_ms);

// The guest's command line: "MODEL TICK_US WORKLOAD".
std::string guest_cmdline(GuestModel m, int tick_ms, const ptv::threads::sim::Workload& w);

}  // namespace ptv::threads::guest

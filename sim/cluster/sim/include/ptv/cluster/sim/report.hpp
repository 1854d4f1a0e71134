// What `ptv cluster sim` prints and writes: the problem and its questions,
// the answers, JSON, and a Chrome trace of category `cluster`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ptv/cluster/sim/simulate.hpp"
#include "ptv/common/trace.hpp"

namespace ptv::cluster::sim {

// Host i is "h<i+1>" in every report.
std::string host_name(std::size_t index);

std::string render_problem(const Problem& p);
std::string render_answers(const Problem& p, const Result& r);
nlohmann::json to_json(const Problem& p, const Result& r, bool answers);

// One process per host (pid = index + 1, named "h1 (8192 MiB, 4 CPUs)"),
// one thread per VM in it (tid = the VM's number, vmN -> N); pid
// hosts + 1 is the cluster itself (tid 0). Events, all category `cluster`
// (times in µs, 1 step = 1 s; the trace ends one step after the plan has
// run):
//   i host           on each host's tid 0 at 0; args host, memory_mib, cpus
//   X <vm name>      the VM running on a host, from its placement (or the
//                    end of its migration there) until it leaves (or its
//                    migration away starts, or the trace ends); args vm,
//                    host, memory_mib, load
//   i place          on the VM's track at its arrival; args vm, host, policy
//   i fits-nowhere   on the cluster's track; args vm, memory_mib
//   i leave          on the VM's track; args vm, host
//   X migrate        on the VM's track on the source host, the live
//                    migration; args vm, from, to, memory_mib, rounds,
//                    pages_sent, bytes, downtime_ms
//   s/f migration    a flow (id = the move's number, from 1) from the
//                    source host's VM track at the migration's start to the
//                    destination's at its end
//   i power-off      on the host's tid 0 when the plan has run; args host
// The metadata key "cluster" holds to_json(p, r, true).
void write_trace(trace::TraceWriter& tw, const Problem& p, const Result& r);

}  // namespace ptv::cluster::sim

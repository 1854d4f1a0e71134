// `ptv servers compare`: every architecture under the same workload, one
// after the other, each as its own `ptv servers run` process driven by the
// load generator of this process; one table (throughput, latency
// percentiles, the threads and processes the server used, its peak RSS)
// and, on request, one trace with every server's request spans.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ptv/servers/arch/architecture.hpp"
#include "ptv/servers/load/load.hpp"
#include "ptv/servers/load/process_tree.hpp"

namespace ptv::servers::load {

struct CompareOptions {
    std::vector<arch::Architecture> archs = arch::all_architectures();
    int clients = 32;
    double duration_s = 2;
    int disk_latency_ms = 0;
    int cache_files = 10;
    int files = 100;  // the workload: FILES files of FILE_BYTES each, requested at random
    int file_bytes = 1024;
    int workers = 0;  // 0: each architecture's default
    uint64_t seed = 1;
    std::string trace;          // merged trace of every server ("" = none)
    int trace_requests = 2000;  // per server
    std::string ptv;            // the ptv binary that runs the servers
    bool progress = false;
    std::function<bool()> cancelled;  // checked between architectures (Ctrl-C)
};

struct CompareRow {
    arch::Architecture arch;
    int workers = 0;
    LoadResult load;
    TreeUsage peak;
};

// The workload's file i of `bytes` bytes: its name ("f0007.txt") and its
// bytes (one letter, a to z by i, repeated), as compare serves them.
std::string workload_file_name(int i);
std::string workload_file_body(int i, int bytes);

// Throws ptv::UsageError for bad options (before anything runs).
void validate(const CompareOptions& o);
std::vector<CompareRow> run_compare(const CompareOptions& o);

std::string render(const CompareOptions& o, const std::vector<CompareRow>& rows);
nlohmann::json to_json(const CompareOptions& o, const std::vector<CompareRow>& rows);

}  // namespace ptv::servers::load

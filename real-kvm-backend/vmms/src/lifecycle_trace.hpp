// The lifecycle trace: STATE/trace.json, one Chrome trace event per line
// (category "vmms"; pid = the VM's id, named "vm NAME"; tid 1), flushed at
// each event so a crash of the service loses none (README.md, "Trace").
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ptv/common/trace.hpp"

namespace ptv::vmms {

class LifecycleTrace {
  public:
    LifecycleTrace() = default;
    LifecycleTrace(const LifecycleTrace&) = delete;
    LifecycleTrace& operator=(const LifecycleTrace&) = delete;
    ~LifecycleTrace() { close(); }

    // Appends to `path`; throws UsageError when it cannot be opened.
    void open(const std::string& path);
    void close();

    void name_vm(int vm_id, const std::string& vm_name);
    // An instant at `at_ns` (now_ns() clock; 0: now).
    void instant(int vm_id, std::string_view name, const nlohmann::json& args = nullptr,
                 uint64_t at_ns = 0);
    // A span from `start_ns` to now.
    void span(int vm_id, std::string_view name, uint64_t start_ns,
              const nlohmann::json& args = nullptr);
    // The service's own end: a global instant.
    void service_stop();

  private:
    std::FILE* file_ = nullptr;
    std::optional<trace::TraceWriter> writer_;
};

}  // namespace ptv::vmms

#include "lifecycle_trace.hpp"

#include <fmt/format.h>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"

namespace ptv::vmms {

void LifecycleTrace::open(const std::string& path) {
    file_ = std::fopen(path.c_str(), "a");
    if (!file_) throw UsageError(fmt::format("cannot open trace {}", path));
    writer_.emplace(file_, trace::TraceWriter::Mode::Lines);
}

void LifecycleTrace::close() {
    if (!file_) return;
    writer_.reset();
    std::fclose(file_);
    file_ = nullptr;
}

void LifecycleTrace::name_vm(int vm_id, const std::string& vm_name) {
    writer_->process_name(vm_id, "vm " + vm_name);
}

void LifecycleTrace::instant(int vm_id, std::string_view name, const nlohmann::json& args,
                             uint64_t at_ns) {
    writer_->instant("vmms", name, vm_id, 1, double(at_ns ? at_ns : now_ns()) / 1000.0, args);
    std::fflush(file_);
}

void LifecycleTrace::span(int vm_id, std::string_view name, uint64_t start_ns,
                          const nlohmann::json& args) {
    writer_->complete("vmms", name, vm_id, 1, double(start_ns) / 1000.0,
                      double(now_ns() - start_ns) / 1000.0, args);
    std::fflush(file_);
}

void LifecycleTrace::service_stop() {
    writer_->event({{"ph", "i"},
                    {"cat", "vmms"},
                    {"name", "service-stop"},
                    {"pid", 0},
                    {"tid", 1},
                    {"ts", double(now_ns()) / 1000.0},
                    {"s", "g"}});
}

}  // namespace ptv::vmms

#include "ptv/migration/precopy_policy.hpp"

#include <fmt/format.h>

#include "ptv/common/error.hpp"
#include "ptv/migration/qemu_policy.hpp"
#include "ptv/migration/xen_policy.hpp"

namespace ptv::migration {

std::unique_ptr<PreCopyPolicy> make_precopy_policy(const std::string& name,
                                                   double downtime_limit_s) {
    if (name == "xen") return std::make_unique<XenPolicy>();
    if (name == "qemu") return std::make_unique<QemuPolicy>(downtime_limit_s);
    throw UsageError(fmt::format("unknown pre-copy policy '{}': use xen or qemu", name));
}

}  // namespace ptv::migration

#include "bundle.hpp"

#include <nlohmann/json.hpp>

namespace ptv::bench {

std::string oci_config(const BundleSpec& s) {
    using nlohmann::json;
    json ns = json::array();
    for (const char* t : {"pid", "mount", "uts", "ipc", "network"}) ns.push_back({{"type", t}});
    json config = {{"ociVersion", "1.0.0"},
                   {"process",
                    {{"terminal", false},
                     {"user", {{"uid", 0}, {"gid", 0}}},
                     {"args", s.args},
                     {"env", {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root"}},
                     {"cwd", "/"}}},
                   {"root", {{"path", s.rootfs}, {"readonly", true}}},
                   {"hostname", s.hostname},
                   {"mounts",
                    {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                     {{"destination", "/sys"},
                      {"type", "sysfs"},
                      {"source", "sysfs"},
                      {"options", {"nosuid", "noexec", "nodev", "ro"}}},
                     {{"destination", "/dev"},
                      {"type", "tmpfs"},
                      {"source", "tmpfs"},
                      {"options", {"nosuid", "mode=755", "size=64k"}}}}},
                   {"linux",
                    {{"namespaces", ns},
                     {"resources",
                      {{"memory", {{"limit", s.memory_bytes}}}, {"pids", {{"limit", s.pids}}}}}}}};
    return config.dump(2);
}

}  // namespace ptv::bench

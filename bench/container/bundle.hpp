// An OCI bundle for crun that matches `ptv container run`: the kit's busybox
// image as the root (read-only), the same five namespaces, the same host
// name, /proc, /sys and /dev mounted, and the same memory and pids limits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::bench {

struct BundleSpec {
    std::string rootfs;  // the image directory
    std::vector<std::string> args;
    std::string hostname = "ptv-container";
    uint64_t memory_bytes = 0;
    uint64_t pids = 0;
};

// The bundle's config.json (OCI runtime spec 1.0).
std::string oci_config(const BundleSpec& spec);

}  // namespace ptv::bench

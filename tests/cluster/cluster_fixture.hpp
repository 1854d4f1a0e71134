// A cluster of its own for each test: `ptv cluster up` with its state in a
// temporary directory, `ptv cluster ...` run as a user would, and at the end
// `ptv cluster down` and a check that nothing is left: no namespace, link,
// state directory or process of it.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/process.hpp"

namespace ptv::test {

class ClusterFixture {
  public:
    ClusterFixture(int hosts, int memory_mib, double cpus = 2,
                   std::vector<std::string> up_options = {});
    static std::string fmt_cpus(double cpus);
    ~ClusterFixture();

    // `ptv cluster ARGS --state-dir D`.
    Completed cluster(std::vector<std::string> args, double timeout_s = 60);
    nlohmann::json status();
    // Each host's VM names, in the order its service lists them.
    std::vector<std::vector<std::string>> vms_by_host();
    // The same as one line: "a d | b e | -" (host1 runs a and d, host3 none).
    std::string layout();
    nlohmann::json host(int index);  // 0-based, from status()
    std::vector<pid_t> processes() const;
    // Takes the cluster down and checks that nothing of it is left.
    void down_and_check();

    TempDir dir;
    std::string state;
    std::string id;
    std::vector<std::string> netns;
    bool up = false;
};

// `ip ARGS...`'s output.
std::string ip_output(const std::vector<std::string>& args);

}  // namespace ptv::test

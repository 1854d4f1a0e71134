#include "cluster_fixture.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ptv::test {

std::string ip_output(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/sbin/ip"};
    if (::access(argv[0].c_str(), X_OK) != 0) argv[0] = "/sbin/ip";
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, 10).out;
}

ClusterFixture::ClusterFixture(int hosts, int memory_mib, double cpus,
                               std::vector<std::string> up_options) {
    REQUIRE_MESSAGE(::geteuid() == 0, "a cluster needs root (network namespaces); CI runs as root");
    state = dir.file("cluster");
    std::vector<std::string> args = {
        "up",     "--hosts",     std::to_string(hosts), "--memory-mib", std::to_string(memory_mib),
        "--cpus", fmt_cpus(cpus)};
    args.insert(args.end(), up_options.begin(), up_options.end());
    const Completed c = cluster(args);
    REQUIRE_MESSAGE(c.status == 0, c.err);
    up = true;
    const nlohmann::json s = status();
    id = s["id"];
    for (const auto& h : s["hosts"]) netns.push_back(h["netns"]);
}

std::string ClusterFixture::fmt_cpus(double cpus) {
    std::string s = std::to_string(cpus);
    return s;
}

ClusterFixture::~ClusterFixture() {
    if (up) cluster({"down"});
}

Completed ClusterFixture::cluster(std::vector<std::string> args, double timeout_s) {
    args.insert(args.begin(), {bin("ptv"), "cluster"});
    args.insert(args.end(), {"--state-dir", state});
    return run(args, {}, timeout_s);
}

nlohmann::json ClusterFixture::status() {
    const Completed c = cluster({"status", "--json"});
    REQUIRE_MESSAGE(c.status == 0, c.err);
    return nlohmann::json::parse(c.out);
}

std::vector<std::vector<std::string>> ClusterFixture::vms_by_host() {
    std::vector<std::vector<std::string>> out;
    const nlohmann::json s = status();
    for (const auto& h : s["hosts"]) {
        out.emplace_back();
        for (const auto& v : h["vms"]) out.back().push_back(v["name"]);
    }
    return out;
}

std::string ClusterFixture::layout() {
    std::string out;
    for (const auto& host : vms_by_host()) {
        std::string names;
        for (const auto& n : host) names += (names.empty() ? "" : " ") + n;
        out += (out.empty() ? "" : " | ") + (names.empty() ? "-" : names);
    }
    return out;
}

nlohmann::json ClusterFixture::host(int index) {
    return status()["hosts"][index];
}

// Processes whose command line names the cluster's state directory: its
// services and their workers.
std::vector<pid_t> ClusterFixture::processes() const {
    std::vector<pid_t> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(e.path() / "cmdline");
        std::string cmd((std::istreambuf_iterator<char>(in)), {});
        if (cmd.find(state + "/") != std::string::npos) out.push_back(std::stoi(name));
    }
    return out;
}

void ClusterFixture::down_and_check() {
    const Completed c = cluster({"down"});
    CHECK_MESSAGE(c.status == 0, c.err);
    up = false;
    const std::string namespaces = ip_output({"netns", "list"});
    for (const auto& ns : netns) CHECK_MESSAGE(namespaces.find(ns) == std::string::npos, ns);
    CHECK(ip_output({"link", "show"}).find("ptv" + id) == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(state));
    CHECK(processes().empty());
}

}  // namespace ptv::test

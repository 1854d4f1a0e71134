// `ptv servers kvm` without KVM: every mistake is one line and status 2
// before a worker starts, and a host with no KVM (PTV_KVM_DEVICE pointing
// nowhere) is one line too, with nothing left behind. The runs on KVM are
// in tests/kvm/test_servers_kvm.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "../support/process.hpp"

using namespace ptv;

namespace {

test::Completed servers_kvm(std::vector<std::string> args,
                            const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {test::bin("ptv"), "servers", "kvm"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, env, 60);
}

size_t file_disks_in_tmp() {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/tmp"))
        n += e.path().filename().string().starts_with("ptv-file-disk-");
    return n;
}

}  // namespace

TEST_CASE("ptv servers kvm: mistakes are one line and status 2") {
    const std::pair<std::vector<std::string>, std::string> cases[] = {
        {{"--arch", "threads"},
         "ptv: --arch threads: the guest serves as all, iterative, dispatcher-worker or fsm"},
        {{"--clients", "0"}, "ptv: --clients 0: give 1 to 64"},
        {{"--files", "16"}, "ptv: --files 16: the guest's disk holds 1 to 15"},
        {{"--file-bytes", "5000"}, "ptv: --file-bytes 5000: give 1 to 4096 (one answer)"},
        {{"--workers", "17"}, "ptv: --workers 17: give 1 to 16"},
        {{"--duration", "0"}, "ptv: --duration 0: give 0.1 to 600 seconds"},
        {{"--disk-latency", "-1"}, "ptv: --disk-latency -1: give 0 to 10000 milliseconds"},
    };
    for (const auto& [args, line] : cases) {
        CAPTURE(line);
        const auto r = servers_kvm(args);
        CHECK(r.status == 2);
        CHECK(r.err == line + "\n");
        CHECK(r.out.empty());
    }
}

TEST_CASE("ptv servers kvm on a host without KVM: one line, status 2, no disk image left") {
    const size_t before = file_disks_in_tmp();
    const auto r = servers_kvm({"--arch", "fsm", "--duration", "0.2", "--no-host"},
                               {{"PTV_KVM_DEVICE", "/nonexistent/kvm"}});
    CHECK(r.status == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find("/nonexistent/kvm") != std::string::npos);
    CHECK(r.out.empty());
    CHECK(file_disks_in_tmp() == before);
}

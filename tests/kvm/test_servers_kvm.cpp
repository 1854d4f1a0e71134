// The file server as a guest on KVM, driven by `ptv servers kvm`: every
// design answers every request byte for byte (the clients check each answer
// against the file) under every dispatch strategy of the worker, and with a
// slow disk the designs that overlap their disk waits serve more.
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>

#include "../support/process.hpp"

using namespace ptv::test;

namespace {

struct Row {
    double guest_rps = 0;
    unsigned long errors = ~0ul;
};

// The table's rows by architecture: "fsm  123.4  5.6  7.8  0  -  ..."
std::map<std::string, Row> rows(const std::string& out) {
    std::map<std::string, Row> r;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string arch;
        Row row;
        double p50, p99;
        if (!(words >> arch >> row.guest_rps >> p50 >> p99 >> row.errors)) continue;
        if (arch == "iterative" || arch == "dispatcher-worker" || arch == "fsm") r[arch] = row;
    }
    return r;
}

Completed servers_kvm(std::vector<std::string> args) {
    std::vector<std::string> argv = {bin("ptv"), "servers", "kvm", "--no-host"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, 300);
}

}  // namespace

TEST_CASE("file server on KVM: every design answers right under every dispatch strategy") {
    for (const std::string dispatch : {"inline", "pool:4", "event"}) {
        CAPTURE(dispatch);
        const auto r = servers_kvm({"--dispatch", dispatch, "--clients", "4", "--duration", "0.5",
                                    "--disk-latency", "2"});
        INFO("stdout: " << r.out);
        INFO("stderr: " << r.err);
        CHECK(r.status == 0);
        const auto t = rows(r.out);
        REQUIRE(t.size() == 3);
        for (const auto& [arch, row] : t) {
            CAPTURE(arch);
            CHECK(row.errors == 0);
            CHECK(row.guest_rps > 0);
        }
    }
}

TEST_CASE("file server on KVM: with a slow disk, overlapping its waits serves more") {
    const auto r = servers_kvm({"--dispatch", "event", "--clients", "8", "--duration", "1",
                                "--disk-latency", "20", "--workers", "4"});
    INFO("stdout: " << r.out);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    const auto t = rows(r.out);
    REQUIRE(t.size() == 3);
    // One request at a time: at most 50 a second with 20 ms reads.
    CHECK(t.at("iterative").guest_rps <= 52);
    CHECK(t.at("dispatcher-worker").guest_rps > 1.5 * t.at("iterative").guest_rps);
    CHECK(t.at("fsm").guest_rps > 1.5 * t.at("iterative").guest_rps);
}

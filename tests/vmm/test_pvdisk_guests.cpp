// The PV disk guests on the CPU model, which serves each request inside
// the doorbell's exit (SimulatedMachine::submit) and posts its completion on
// the event channel: every count here is exact, and the guest never has to
// block (its "sti; hlt" would find the event already pending).
#include <doctest/doctest.h>

#include "guests.hpp"

using namespace ptv;

TEST_CASE("pvdisk: 64 reads, 16 deep, ring 64 -- one doorbell per batch, no wait, every word") {
    for (const std::string t : {"native", "vmx"}) {
        CAPTURE(t);
        const auto r = test::run_model("pvdisk", t);
        CHECK(r.outcome == "guest-exit");
        CHECK(r.status == 0);
        CHECK(r.output ==
              "pvdisk: 64 reads, 16 deep, ring 64\n"
              "pvdisk: rings 4, waits 0, words 8192\n");
        CHECK(r.device_exits == std::map<std::string, uint64_t>{
                                    {"event-channel", 1},  // the page, bound once
                                    {"pv-disk", 1 + 4},    // the queue, then 64 / 16 doorbells
                                    {"uart", 7 + 2 * r.output.size()},
                                    {"debug-exit", 1}});
        CHECK(r.completions == 64);
        CHECK(r.instructions == 56177);
    }
    CHECK_FALSE(test::run_model("pvdisk", "vmx").counters.exits.count("HLT"));
}

TEST_CASE("pvdisk: the command line sets N, Q and S, and Q above S is served too") {
    // 100 reads, 8 deep on a ring of 4: at most 4 fit the request ring.
    const auto r = test::run_model("pvdisk", "vmx", "100 8 4");
    CHECK(r.output ==
          "pvdisk: 100 reads, 8 deep, ring 4\n"
          "pvdisk: rings 25, waits 0, words 12800\n");
    CHECK(r.device_exits.at("pv-disk") == 1 + 25);
    CHECK(r.completions == 100);
    const auto one = test::run_model("pvdisk", "native", "20 1 1");
    CHECK(one.output ==
          "pvdisk: 20 reads, 1 deep, ring 1\n"
          "pvdisk: rings 20, waits 0, words 2560\n");
    const auto none = test::run_model("pvdisk", "native", "0 16 64");
    CHECK(none.output ==
          "pvdisk: 0 reads, 16 deep, ring 64\n"
          "pvdisk: rings 0, waits 0, words 0\n");
    CHECK(none.completions == 0);
    const auto bad = test::run_model("pvdisk", "native", "10 4 3");
    CHECK(bad.outcome == "guest-failure");
    CHECK(bad.output == "pvdisk: give N Q S, Q from 1 to 256, S a power of two from 1 to 256\n");
    CHECK(bad.device_exits.count("pv-disk") == 0);
}

TEST_CASE("pvdisk guests: a lying queue is a device error, a read past the end an error status") {
    for (const std::string t : {"native", "vmx"}) {
        CAPTURE(t);
        const auto bad = test::run_model("fault-pvdisk-bad-ring", t);
        CHECK(bad.outcome == "device-error");
        CHECK(bad.status == 7);
        CHECK(bad.message.find("pv-disk: bad ring indices in the queue at 0x301000: req_head 1000 "
                               "is 1000 ahead of req_tail 0") != std::string::npos);
        CHECK(bad.output == "fault-pvdisk-bad-ring: req_head runs 1000 ahead of a 16-entry ring\n");
        CHECK(bad.device_exits ==
              std::map<std::string, uint64_t>{{"pv-disk", 2}, {"uart", 7 + 2 * 67}});
        CHECK(bad.completions == 0);

        const auto past = test::run_model("pvdisk-past-end", t);
        CHECK(past.outcome == "guest-exit");
        CHECK(past.status == 0);
        CHECK(past.output == "pvdisk-past-end: status 1\n");
        CHECK(past.device_exits ==
              std::map<std::string, uint64_t>{
                  {"event-channel", 1}, {"pv-disk", 2}, {"uart", 7 + 2 * 26}, {"debug-exit", 1}});
        CHECK(past.completions == 1);
    }
}

TEST_CASE("pvdisk-ping: one request at a time, one doorbell each, no wait on the model") {
    const auto r = test::run_model("pvdisk-ping", "native", "10");
    CHECK(r.outcome == "guest-exit");
    CHECK(r.output == "pvdisk-ping: 10 round trips, 0 waits\n");
    CHECK(r.device_exits == std::map<std::string, uint64_t>{{"event-channel", 1},
                                                            {"pv-disk", 1 + 10},
                                                            {"uart", 7 + 2 * r.output.size()},
                                                            {"debug-exit", 1}});
    CHECK(r.completions == 10);
}

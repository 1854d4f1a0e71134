// The host request ring's guests on the CPU model. The model has no host
// clients of its own: the test sends the requests itself, before the run
// (GuestConfig::prepare_devices), and they wait in the device's FIFO until
// the guest binds its queue. Each doorbell is taken inside its exit, so
// the guest never has to block and every count is exact.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "guests.hpp"
#include "ptv/devices/host_ring.hpp"
#include "ptv/portmap.h"

using namespace ptv;
using devices::HostRing;

namespace {

struct Sent {
    uint32_t op;
    std::string data;
};
struct Got {
    std::string asked;
    uint32_t status;
    std::string bytes;
    bool operator==(const Got&) const = default;
};

// Runs `guest` with `requests` sent before it starts; the answers, in the
// order they came, into `got`.
vmm::RunResult run_with_requests(const std::string& guest, const std::string& technique,
                                 const std::string& cmdline, const std::vector<Sent>& requests,
                                 std::vector<Got>& got) {
    vmm::RunOptions o;
    o.guest.image_path = test::guest(guest);
    o.guest.name = guest;
    o.guest.cmdline = cmdline;
    o.technique = technique;
    o.max_instructions = 5'000'000;
    o.guest.prepare_devices = [&requests, &got](devices::DeviceSet& set) {
        auto& ring = set.get<HostRing>();
        for (const Sent& s : requests)
            ring.send({s.op, s.data}, [&got, asked = s.data](HostRing::Answer a) {
                got.push_back({asked, a.status, std::string(a.bytes.begin(), a.bytes.end())});
            });
    };
    return vmm::run_guest(o);
}

}  // namespace

TEST_CASE("hostring-echo: 11 requests on a ring of 4, answered in order, three doorbells") {
    std::vector<Sent> requests;
    for (int i = 0; i < 9; ++i)
        requests.push_back({PTV_HOSTRING_OP_GET, "file" + std::to_string(i)});
    requests.push_back({7, "what?"});  // an op it does not know
    requests.push_back({PTV_HOSTRING_OP_GET, "quit"});
    requests.push_back({PTV_HOSTRING_OP_GET, "after"});  // never taken
    for (const std::string t : {"native", "vmx", "binary-translation"}) {
        CAPTURE(t);
        std::vector<Got> got;
        const auto r = run_with_requests("hostring-echo", t, "4", requests, got);
        CHECK(r.outcome == "guest-exit");
        CHECK(r.status == 0);
        CHECK(r.output ==
              "hostring-echo: ring 4\n"
              "hostring-echo: 11 requests\n");
        std::vector<Got> expected;
        for (int i = 0; i < 9; ++i)
            expected.push_back(
                {"file" + std::to_string(i), PTV_HOSTRING_S_OK, "FILE" + std::to_string(i)});
        expected.push_back({"what?", PTV_HOSTRING_S_BAD_REQUEST, ""});
        expected.push_back({"quit", PTV_HOSTRING_S_OK, "QUIT"});
        CHECK(got == expected);
        // The queue binds with 4 requests put; each pass answers the ring's
        // 4 (then 4, then 3 with the quit) and rings once; the first two
        // doorbells put the next requests and post the event again.
        CHECK(r.device_exits == std::map<std::string, uint64_t>{{"event-channel", 1},
                                                                {"host-ring", 1 + 3},
                                                                {"uart", 7 + 2 * r.output.size()},
                                                                {"debug-exit", 1}});
        CHECK(r.completions == 3);
    }
}

TEST_CASE("hostring-echo: the default ring of 8, and a command line out of range") {
    std::vector<Sent> requests = {{PTV_HOSTRING_OP_GET, "Mixed-Case_09z"},
                                  {PTV_HOSTRING_OP_GET, ""},
                                  {PTV_HOSTRING_OP_GET, "quit"}};
    std::vector<Got> got;
    const auto r = run_with_requests("hostring-echo", "native", "", requests, got);
    CHECK(r.output ==
          "hostring-echo: ring 8\n"
          "hostring-echo: 3 requests\n");
    CHECK(got == std::vector<Got>{{"Mixed-Case_09z", PTV_HOSTRING_S_OK, "MIXED-CASE_09Z"},
                                  {"", PTV_HOSTRING_S_OK, ""},
                                  {"quit", PTV_HOSTRING_S_OK, "QUIT"}});
    CHECK(r.device_exits.at("host-ring") == 1 + 1);  // all three on the ring at once
    CHECK(r.completions == 1);

    for (const std::string bad : {"0", "3", "128"}) {
        CAPTURE(bad);
        got.clear();
        const auto b = run_with_requests("hostring-echo", "native", bad, requests, got);
        CHECK(b.outcome == "guest-failure");
        CHECK(b.status == 1);  // the guest's own status 3 is in the message
        CHECK(b.output == "hostring-echo: give S, a power of two from 1 to 64\n");
        CHECK(b.device_exits.count("host-ring") == 0);
        CHECK(got.empty());
    }
}

TEST_CASE("hostring-echo: with no client it serves on until the budget") {
    const auto r = test::run_model("hostring-echo", "vmx", "", 200'000);
    CHECK(r.outcome == "instruction-budget");
    CHECK(r.output == "hostring-echo: ring 8\n");
    CHECK(r.device_exits.at("host-ring") == 1);  // the queue; no doorbell with nothing answered
}

TEST_CASE("fault-hostring-bad-ring: responses to no request are a device error") {
    for (const std::string t : {"native", "vmx"}) {
        CAPTURE(t);
        const auto bad = test::run_model("fault-hostring-bad-ring", t);
        CHECK(bad.outcome == "device-error");
        CHECK(bad.status == 7);
        CHECK(bad.message.find(
                  "host-ring: bad ring indices in the queue at 0x301000: req_tail 0 leaves 0 of "
                  "the host's 0 requests untaken, resp_head 1000 claims 1000 responses to 0 "
                  "unanswered requests, on rings of 8 entries") != std::string::npos);
        CHECK(bad.output == "fault-hostring-bad-ring: 1000 responses to no request\n");
        CHECK(bad.device_exits ==
              std::map<std::string, uint64_t>{{"host-ring", 2}, {"uart", 7 + 2 * 54}});
        CHECK(bad.completions == 0);
    }
}

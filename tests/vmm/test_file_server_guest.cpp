// The file-server guest on the CPU model, in each of its designs: the test
// is its clients (requests handed to the host request ring before the run)
// and its disk (a file disk image attached to the PV disk). The model
// serves each disk request inside its doorbell's exit, so nothing is
// timed here; what is checked is every answer, byte for byte.
#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../support/process.hpp"
#include "guests.hpp"
#include "ptv/devices/disk_image.hpp"
#include "ptv/devices/host_ring.hpp"
#include "ptv/devices/pv_disk.hpp"
#include "ptv/portmap.h"
#include "ptv/servers/kvm/file_disk.hpp"

using namespace ptv;
using devices::HostRing;

namespace {

struct Answer {
    uint32_t status;
    std::string bytes;
    bool operator==(const Answer&) const = default;
};

struct Served {
    vmm::RunResult run;
    std::vector<std::pair<std::string, Answer>> answers;  // (what was asked, its answer), in order
};

const std::vector<servers::kvm::DiskFile> kFiles = {
    {"index.html", "<h1>ptvlab</h1>\n"},
    {"big.bin", std::string(1500, 'b')},  // three sectors
    {"exactly-16-bytes", std::string(512, 'x')},
};

Served serve(const std::string& cmdline, const std::vector<std::pair<uint32_t, std::string>>& asks,
             bool with_directory = true) {
    test::TempDir dir;
    const std::string image = dir.file("files.img");
    if (with_directory) {
        const auto bytes = servers::kvm::file_disk_image(kFiles);
        std::ofstream(image, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    } else {
        std::ofstream(image, std::ios::binary) << std::string(4096, '\0');
    }
    Served s;
    vmm::RunOptions o;
    o.guest.image_path = test::guest("file-server");
    o.guest.name = "file-server";
    o.guest.cmdline = cmdline;
    o.technique = "native";
    o.max_instructions = 20'000'000;
    o.guest.prepare_devices = [&](devices::DeviceSet& set) {
        set.get<devices::PvDisk>().attach(devices::DiskImage::open(image), 0);
        for (const auto& [op, data] : asks)
            set.get<HostRing>().send({op, data}, [&s, asked = data](HostRing::Answer a) {
                s.answers.push_back(
                    {asked, {a.status, std::string(a.bytes.begin(), a.bytes.end())}});
            });
    };
    s.run = vmm::run_guest(o);
    return s;
}

const std::vector<std::pair<uint32_t, std::string>> kAsks = {
    {PTV_HOSTRING_OP_GET, "index.html"},       {PTV_HOSTRING_OP_GET, "big.bin"},
    {PTV_HOSTRING_OP_GET, "no-such-file"},     {7, "unknown-op"},
    {PTV_HOSTRING_OP_GET, "exactly-16-bytes"}, {PTV_HOSTRING_OP_QUIT, ""},
    {PTV_HOSTRING_OP_GET, "after-the-quit"}};

}  // namespace

TEST_CASE("file-server: every design answers the same, byte for byte, and the quit last") {
    for (const std::string arch :
         {"iterative", "dispatcher-worker", "dispatcher-worker 1", "fsm"}) {
        CAPTURE(arch);
        const Served s = serve(arch, kAsks);
        CHECK(s.run.outcome == "guest-exit");
        const std::string name = arch.substr(0, arch.find(' '));
        CHECK(s.run.output == "file-server: " + name + ", 4 requests, 2028 bytes\n");
        std::map<std::string, Answer> by_ask(s.answers.begin(), s.answers.end());
        CHECK(s.answers.size() == 6);  // not the one after the quit
        CHECK(by_ask["index.html"] == Answer{PTV_HOSTRING_S_OK, kFiles[0].body});
        CHECK(by_ask["big.bin"] == Answer{PTV_HOSTRING_S_OK, kFiles[1].body});
        CHECK(by_ask["exactly-16-bytes"] == Answer{PTV_HOSTRING_S_OK, kFiles[2].body});
        CHECK(by_ask["no-such-file"] == Answer{PTV_HOSTRING_S_NOT_FOUND, ""});
        REQUIRE_FALSE(s.answers.empty());
        CHECK(s.answers.back().first == "");  // the quit's answer comes last
        CHECK(s.answers.back().second == Answer{PTV_HOSTRING_S_OK, ""});
        // The op it does not know is refused.
        CHECK(by_ask["unknown-op"] == Answer{PTV_HOSTRING_S_BAD_REQUEST, ""});
    }
}

TEST_CASE("file-server: the iterative server answers in the order asked") {
    const Served s = serve("iterative", kAsks);
    std::vector<std::string> order;
    for (const auto& [asked, a] : s.answers) order.push_back(asked);
    CHECK(order == std::vector<std::string>{"index.html", "big.bin", "no-such-file", "unknown-op",
                                            "exactly-16-bytes", ""});
}

TEST_CASE("file-server: a disk with no directory, and command lines it does not take") {
    const Served none = serve("fsm", kAsks, false);
    CHECK(none.run.outcome == "guest-failure");
    CHECK(none.run.output == "file-server: no file directory on the disk\n");
    CHECK(none.answers.empty());
    for (const std::string bad :
         {"", "threads", "dispatcher-worker 0", "dispatcher-worker 17", "fsm 4x", "iterativeX"}) {
        CAPTURE(bad);
        const Served s = serve(bad, kAsks);
        CHECK(s.run.status == 1);  // the guest's status 3 is in the message
        CHECK(s.run.output ==
              "file-server: give ARCH [K]: ARCH iterative, dispatcher-worker or fsm, K workers "
              "1 to 16\n");
    }
}

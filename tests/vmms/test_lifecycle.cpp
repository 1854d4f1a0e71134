// The VM lifecycle through `ptv vm`: create, start, console, pause, resume,
// snapshots, restore, stop, delete; bad input; the trace.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include "vmms_fixture.hpp"

using namespace ptv::test;

namespace {

// The counter value of the last complete "counter N" line.
int last_counter(const std::string& console) {
    static const std::regex re("counter (\\d+)\n");
    int last = -1;
    for (auto it = std::sregex_iterator(console.begin(), console.end(), re);
         it != std::sregex_iterator(); ++it)
        last = std::stoi((*it)[1]);
    return last;
}

// The first number that ends a line (a restored guest may finish a line the
// snapshot caught half-printed: "ter 5\n").
int first_counter(const std::string& console) {
    static const std::regex re("(\\d+)\n");
    std::smatch m;
    return std::regex_search(console, m, re) ? std::stoi(m[1]) : -1;
}

}  // namespace

TEST_CASE("create, start, console, pause, resume, stop, delete") {
    VmmsFixture f;
    auto c = f.vmj({"create", "a", "--guest", "counter", "--memory", "16"});
    CHECK(c["exit_status"] == 0);
    CHECK(c["vm"]["state"] == "stopped");
    auto s = f.vmj({"start", "a"});
    REQUIRE(s["exit_status"] == 0);
    CHECK(s["vm"]["state"] == "running");
    CHECK(s["vm"]["pid"].get<int>() > 0);
    CHECK(f.workers().size() == 1);

    const std::string out = f.wait_console("a", "counter 2\n");
    CHECK(out.rfind("counter: working set 1024 KiB\ncounter 1\ncounter 2\n", 0) == 0);

    auto p = f.vmj({"pause", "a"});
    CHECK(p["exit_status"] == 0);
    CHECK(p["vm"]["state"] == "paused");
    const std::string hash = p["memory_hash"];
    CHECK(hash.size() == 18);
    // Paused means paused: the same memory a moment later.
    CHECK(f.vmj({"pause", "a"})["memory_hash"] == hash);
    CHECK(f.vmj({"resume", "a"})["vm"]["state"] == "running");

    auto list = f.vm({"list"});
    CHECK(list.status == 0);
    CHECK(list.out.find("NAME") != std::string::npos);
    CHECK(list.out.find("running") != std::string::npos);

    auto del = f.vm({"delete", "a"});
    CHECK(del.status == 1);
    CHECK(del.err == "ptv: VM 'a' is running; stop it first ('ptv vm stop a')\n");

    auto st = f.vmj({"stop", "a"});
    CHECK(st["exit_status"] == 0);
    CHECK(st["vm"]["state"] == "stopped");
    CHECK(f.workers().empty());
    CHECK(f.vm({"delete", "a"}).status == 0);
    CHECK(f.row("a").is_null());

    // Every step is in the trace, under the VM's own track.
    std::vector<std::string> names;
    for (const auto& e : f.trace_events("a")) names.push_back(e["name"]);
    for (const char* want :
         {"created", "start", "starting", "paused", "resumed", "worker-died", "stop", "deleted"})
        CHECK_MESSAGE(std::find(names.begin(), names.end(), want) != names.end(), want);
}

TEST_CASE("a snapshot restored goes on from its counter with the same memory") {
    VmmsFixture f;
    REQUIRE(
        f.vm({"create", "c", "--guest", "counter", "--memory", "32", "--cmdline", "4096"}).status ==
        0);
    REQUIRE(f.vm({"start", "c"}).status == 0);
    f.wait_console("c", "counter 3\n");
    auto p = f.vmj({"pause", "c"});
    REQUIRE(p["exit_status"] == 0);
    const std::string hash = p["memory_hash"];
    const int at_snapshot = last_counter(f.vm({"console", "c", "--dump"}).out);
    CHECK(at_snapshot >= 3);
    auto snap = f.vmj({"snapshot", "c", "s1"});
    REQUIRE(snap["exit_status"] == 0);
    CHECK(snap["snapshot"] == "s1");

    // On it goes; then back to s1, paused, to compare memory.
    f.vmj({"resume", "c"});
    f.wait_console("c", "counter " + std::to_string(at_snapshot + 3) + "\n");
    auto r = f.vmj({"restore", "c", "s1", "--paused"});
    REQUIRE(r["exit_status"] == 0);
    CHECK(r["vm"]["state"] == "paused");
    CHECK(r["vm"]["memory_hash"] == hash);
    CHECK(r["vm"]["last_snapshot"] == "s1");
    CHECK(f.vmj({"resume", "c"})["exit_status"] == 0);
    const std::string after = f.wait_console("c", "counter " + std::to_string(at_snapshot + 2));
    CHECK(after.find("working set") == std::string::npos);  // no second boot
    CHECK(first_counter(after) == at_snapshot + 1);

    auto list = f.vmj({"snapshots", "c"});
    REQUIRE(list["snapshots"].size() == 1);
    CHECK(list["snapshots"][0]["snapshot"] == "s1");
    CHECK(list["snapshots"][0]["memory_bytes"] == 32u << 20);
    CHECK(list["snapshots"][0]["memory_hash"] == hash);
    CHECK(list["snapshots"][0]["last"] == true);

    // A stopped VM: the service copies its last state under a new name.
    REQUIRE(f.vm({"stop", "c"}).status == 0);
    auto off = f.vmj({"snapshot", "c", "s2"});
    CHECK(off["exit_status"] == 0);
    CHECK(off["offline"] == true);
    CHECK(f.vmj({"snapshots", "c"})["snapshots"][1]["memory_hash"] == hash);
}

TEST_CASE("bad input is one line and status 2") {
    VmmsFixture f;
    auto one_line = [](const Completed& r, const std::string& text) {
        INFO("stderr: " << r.err);
        CHECK(r.status == 2);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find(text) != std::string::npos);
    };
    one_line(f.vm({"start", "nosuch"}), "no VM named 'nosuch'");
    one_line(f.vm({"create", "bad/name", "--guest", "hello"}), "is not a VM name");
    one_line(f.vm({"create", "x", "--guest", "no-such-guest"}), "guests: ");
    one_line(f.vm({"create", "x", "--guest", "hello", "--restart", "sometimes"}), "--restart");
    one_line(f.vm({"create", "x", "--guest", "hello", "--memory", "1"}), "out of range");
    REQUIRE(f.vm({"create", "x", "--guest", "hello"}).status == 0);
    one_line(f.vm({"create", "x", "--guest", "hello"}), "exists already");
    one_line(f.vm({"restore", "x", "nosnap"}), "has no snapshot 'nosnap'");
    one_line(f.vm({"snapshot", "x", "../up"}), "is not a snapshot name");
    auto none = run({bin("ptv"), "vm", "list", "--socket", f.dir.file("nobody.sock")});
    one_line(none, "no vmms service at");
    one_line(run({bin("ptv"), "vmms", "start", "--socket", f.socket, "--state-dir", f.state}),
             "already running");
}

TEST_CASE("a request the VM's state does not allow is refused: status 1, one line") {
    VmmsFixture f;
    auto refused = [](const Completed& r, const std::string& text) {
        INFO("stderr: " << r.err);
        CHECK(r.status == 1);
        CHECK(r.err == "ptv: " + text + "\n");
    };
    REQUIRE(f.vm({"create", "x", "--guest", "counter", "--memory", "8"}).status == 0);
    refused(f.vm({"resume", "x"}),
            "VM 'x' is stopped; cannot resume it: it is not running; 'ptv vm start x' starts it");
    refused(f.vm({"pause", "x"}),
            "VM 'x' is stopped; cannot pause it: it is not running; 'ptv vm start x' starts it");
    refused(f.vm({"stop", "x"}),
            "VM 'x' is stopped; cannot stop it: it has no worker to stop; 'ptv vm start x' "
            "starts it");
    REQUIRE(f.vm({"start", "x"}).status == 0);
    refused(f.vm({"start", "x"}),
            "VM 'x' is running; cannot start it: it has a worker already; stop it first "
            "('ptv vm stop x')");
    CHECK(f.workers().size() == 1);
    CHECK(f.row("x")["state"] == "running");
    CHECK(f.vm({"stop", "x"}).status == 0);
    CHECK(f.row("x")["state"] == "stopped");
}

TEST_CASE("a console follower that stops reading is dropped, and the service goes on") {
    VmmsFixture f;
    REQUIRE(f.vm({"create", "a", "--guest", "counter"}).status == 0);
    REQUIRE(f.vm({"start", "a"}).status == 0);
    f.wait_console("a", "counter 2\n");
    // A client asks to follow a's console and never reads: the service's
    // sends to it fill the socket's buffer within seconds.
    const int stuck = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", f.socket.c_str());
    REQUIRE(::connect(stuck, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string follow = R"({"op":"console","name":"a"})"
                               "\n";
    REQUIRE(::write(stuck, follow.data(), follow.size()) == ssize_t(follow.size()));
    const int before = last_counter(f.vm({"console", "a", "--dump"}).out);
    // Long after the buffer is full, every request is still answered at once.
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8)) {
        const auto r = f.vm({"list"}, 5);
        REQUIRE(r.status == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    // The guest printed meanwhile: the follower had plenty to miss.
    CHECK(last_counter(f.vm({"console", "a", "--dump"}).out) > before);
    REQUIRE(f.vm({"stop", "a"}, 10).status == 0);
    ::close(stuck);
}

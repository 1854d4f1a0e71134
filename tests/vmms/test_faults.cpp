// The faults the management service must survive: workers killed under each
// restart policy, a worker
// that crashes at start, damaged snapshots, the service killed while VMs
// run, two clients at once, a full disk, and a worker that breaks its
// seccomp jail.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "vmms_fixture.hpp"

namespace fs = std::filesystem;
using namespace ptv::test;

namespace {

bool has(const nlohmann::json& row, const char* key, const std::string& value) {
    return row.is_object() && row.value(key, "") == value;
}

}  // namespace

TEST_CASE("kill -9 of a worker under each restart policy, other VMs run on") {
    VmmsFixture f;
    for (std::string policy : {"never", "on-failure", "always"}) {
        REQUIRE(f.vm({"create", policy, "--guest", "counter", "--memory", "8", "--restart", policy})
                    .status == 0);
        REQUIRE(f.vm({"start", policy}).status == 0);
    }
    REQUIRE(f.vm({"create", "bystander", "--guest", "counter", "--memory", "8"}).status == 0);
    REQUIRE(f.vm({"start", "bystander"}).status == 0);
    const int bystander = f.row("bystander")["pid"];

    for (std::string policy : {"never", "on-failure", "always"}) {
        CAPTURE(policy);
        const int pid = f.row(policy)["pid"];
        REQUIRE(pid > 0);
        REQUIRE(kill(pid, SIGKILL) == 0);
        auto r = f.wait_row(policy, [&](const nlohmann::json& v) {
            return v["restarts"] == 1 && v["state"] == "running"
                       ? true
                       : policy == "never" && v["state"] == "crashed";
        });
        CHECK(r["last_exit"] == "killed by signal 9 (Killed)");
        if (policy == "never") {
            CHECK(r["state"] == "crashed");
            CHECK(r["pid"] == 0);
        } else {
            CHECK(r["state"] == "running");
            CHECK(r["restarts"] == 1);
            CHECK(r["pid"] != pid);
        }
    }
    auto b = f.row("bystander");
    CHECK(b["state"] == "running");
    CHECK(b["pid"] == bystander);
    CHECK(b["restarts"] == 0);
}

TEST_CASE("a worker that crashes at start: back-off, then a crash loop stops") {
    VmmsFixture f;
    REQUIRE(f.vm({"create", "bad", "--guest", "hello", "--restart", "on-failure", "--test-fault",
                  "crash"})
                .status == 0);
    auto s = f.vm({"start", "bad"});
    CHECK(s.status == 1);
    CHECK(s.err.find("killed by signal 6 (Aborted)") != std::string::npos);
    auto r = f.wait_row("bad", [](const nlohmann::json& v) { return has(v, "state", "failed"); });
    CHECK(r["state"] == "failed");
    CHECK(r["restarts"] == 5);
    CHECK(r["last_exit"].get<std::string>().find("crash loop: 5 restarts in the last minute") !=
          std::string::npos);
    // The back-off, as the trace saw it: at once, then doubling.
    std::vector<int> delays;
    for (const auto& e : f.trace_events("bad"))
        if (e["name"] == "restart-scheduled") delays.push_back(e["args"]["delay_ms"]);
    CHECK(delays == std::vector<int>{0, 100, 200, 400, 800});
    auto names = f.trace_events("bad");
    CHECK(names.back()["name"] == "crash-loop");
}

TEST_CASE("a damaged snapshot is refused and the VM keeps its last good one") {
    VmmsFixture f;
    REQUIRE(f.vm({"create", "d", "--guest", "counter", "--memory", "8"}).status == 0);
    REQUIRE(f.vm({"start", "d"}).status == 0);
    f.wait_console("d", "counter 1\n");
    for (const char* s : {"good", "truncated", "garbled", "flipped"})
        REQUIRE(f.vm({"snapshot", "d", s}).status == 0);
    const std::string snaps = f.state + "/vms/d/snapshots/";
    fs::resize_file(snaps + "truncated/memory.bin", 4096);
    std::ofstream(snaps + "garbled/state.json") << "{\"format\": \"ptvlab-snap";
    {
        std::fstream m(snaps + "flipped/memory.bin",
                       std::ios::in | std::ios::out | std::ios::binary);
        m.seekp(0x400000);
        m.put('\x5a');
    }
    REQUIRE(f.vm({"restore", "d", "good"}).status == 0);
    const int pid = f.row("d")["pid"];

    auto t = f.vm({"restore", "d", "truncated"});
    CHECK(t.status == 1);
    CHECK(t.err.find("memory.bin has 4096 bytes, the state says 8388608 (truncated?); VM 'd' "
                     "keeps its state and last good snapshot 'good'\n") != std::string::npos);
    auto g = f.vm({"restore", "d", "garbled"});
    CHECK(g.status == 1);
    CHECK(g.err.find("state.json is not a JSON object") != std::string::npos);
    // Damage only the hash can see is found by the worker as it loads.
    auto h = f.vm({"restore", "d", "flipped"});
    INFO("stderr: " << h.err);
    CHECK(h.status == 1);
    CHECK(h.err.find("memory.bin does not match its hash") != std::string::npos);
    CHECK(std::count(h.err.begin(), h.err.end(), '\n') == 1);

    auto r = f.row("d");
    CHECK(r["last_snapshot"] == "good");
    // A refused restore leaves the running VM alone; the hash failure had
    // replaced the worker already, so it is stopped, and starts from "good".
    CHECK(r["state"] == "stopped");
    CHECK(r["pid"] != pid);
    auto s = f.vmj({"start", "d"});
    CHECK(s["exit_status"] == 0);
    auto list = f.vmj({"snapshots", "d"});
    CHECK(list["snapshots"].size() == 4);
}

TEST_CASE("the service killed and restarted while VMs run re-adopts them") {
    VmmsFixture f;
    REQUIRE(f.vm({"create", "r1", "--guest", "counter", "--memory", "8"}).status == 0);
    REQUIRE(f.vm({"create", "r2", "--guest", "counter", "--memory", "8", "--restart", "always"})
                .status == 0);
    REQUIRE(f.vm({"start", "r1"}).status == 0);
    REQUIRE(f.vm({"start", "r2"}).status == 0);
    REQUIRE(f.vm({"pause", "r2"}).status == 0);
    const int p1 = f.row("r1")["pid"], p2 = f.row("r2")["pid"];
    f.kill_service();
    CHECK(f.workers().size() == 2);  // the VMs live on without their service
    f.start_service();
    auto r1 = f.row("r1"), r2 = f.row("r2");
    CHECK(r1["state"] == "running");
    CHECK(r1["pid"] == p1);
    CHECK(r2["state"] == "paused");
    CHECK(r2["pid"] == p2);
    // And they are supervised again: console, control, death.
    CHECK(f.vm({"resume", "r2"}).status == 0);
    f.wait_console("r1", "counter 1\n");
    REQUIRE(kill(p2, SIGKILL) == 0);
    auto r = f.wait_row("r2", [](const nlohmann::json& v) {
        return v["state"] == "running" && v["restarts"] == 1;
    });
    CHECK(r["restarts"] == 1);
    CHECK(r["last_exit"].get<std::string>().find("gone") != std::string::npos);
}

TEST_CASE("two clients with conflicting commands at once") {
    VmmsFixture f;
    Completed a, b;
    {
        // Either may win. Both guests keep running (a guest that halted at
        // once would leave no worker for the checks below); the sizes tell
        // which one the service kept.
        std::thread t1([&] { a = f.vm({"create", "x", "--guest", "counter", "--memory", "8"}); });
        std::thread t2([&] { b = f.vm({"create", "x", "--guest", "counter", "--memory", "12"}); });
        t1.join();
        t2.join();
    }
    CHECK(a.status + b.status == 2);  // one 0, one 2
    CHECK((a.err + b.err).find("a VM named 'x' exists already") != std::string::npos);
    CHECK(f.row("x")["memory_mib"] == (a.status == 0 ? 8 : 12));
    {
        std::thread t1([&] { a = f.vm({"start", "x"}); });
        std::thread t2([&] { b = f.vm({"start", "x"}); });
        t1.join();
        t2.join();
    }
    CHECK(a.status + b.status == 1);  // one started it, the other was refused
    CHECK(f.workers().size() == 1);
    {
        std::thread t1([&] { a = f.vm({"stop", "x"}); });
        std::thread t2([&] { b = f.vm({"delete", "x"}); });
        t1.join();
        t2.join();
    }
    // Stop first, then delete; or delete refused while it runs.
    CHECK(a.status == 0);
    CHECK(f.workers().empty());
}

TEST_CASE("a full disk while writing a snapshot keeps the old one whole") {
    // The state directory on a 20 MiB tmpfs, in a mount namespace of the
    // service's own (a user namespace too when not root).
    VmmsFixture f(false);
    fs::create_directories(f.state);
    std::vector<std::string> wrapper = {"unshare"};
    if (geteuid() != 0) wrapper.insert(wrapper.end(), {"--user", "--map-root-user"});
    wrapper.insert(wrapper.end(),
                   {"--mount", "--propagation", "private", "sh", "-c",
                    "mount -t tmpfs -o size=20m tmpfs \"$0\" && exec \"$@\"", f.state});
    f.start_service(wrapper);
    REQUIRE(f.vm({"create", "full", "--guest", "counter", "--memory", "12"}).status == 0);
    REQUIRE(f.vm({"start", "full"}).status == 0);
    f.wait_console("full", "counter 1\n");
    auto first = f.vm({"snapshot", "full", "s1"});
    REQUIRE(first.status == 0);
    // 12 MiB more do not fit in the 8 left.
    auto full = f.vm({"snapshot", "full", "s2"});
    CHECK(full.status == 1);
    CHECK(full.err.find("No space left on device") != std::string::npos);
    CHECK(std::count(full.err.begin(), full.err.end(), '\n') == 1);
    // The same name: the new one does not fit either, the old one stays.
    auto again = f.vm({"snapshot", "full", "s1"});
    CHECK(again.status == 1);
    auto list = f.vmj({"snapshots", "full"});
    REQUIRE(list["snapshots"].size() == 1);
    CHECK(list["snapshots"][0]["snapshot"] == "s1");
    CHECK(list["snapshots"][0]["ok"] == true);
    CHECK(f.row("full")["state"] == "running");
    CHECK(f.vmj({"restore", "full", "s1"})["exit_status"] == 0);
}

TEST_CASE("a worker that makes a forbidden system call is killed, not obeyed") {
    VmmsFixture f;
    REQUIRE(
        f.vm({"create", "jail", "--guest", "counter", "--memory", "8", "--test-fault", "syscall"})
            .status == 0);
    f.vm({"start", "jail"});  // it may report "started" before it dies
    auto r = f.wait_row("jail", [](const nlohmann::json& v) { return has(v, "state", "crashed"); });
    CHECK(r["state"] == "crashed");
    CHECK(r["last_exit"] == "killed by signal 31 (Bad system call)");
}

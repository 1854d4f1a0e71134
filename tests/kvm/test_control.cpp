// The control channel between a client (ptv, the management service) and
// a worker process: status while the guest runs, then stop.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/process.hpp"
#include "ptv/worker/control.hpp"

using namespace ptv;

TEST_CASE("a worker answers status while its guest runs, and stops on request") {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    const std::string worker = test::bin("ptv-vmwp"), image = test::guest("fault-forever");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(sv[1], 3);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execl(worker.c_str(), worker.c_str(), image.c_str(), "--control-fd", "3", nullptr);
        _exit(127);
    }
    close(sv[1]);
    worker::MessageReader reader(sv[0]);
    nlohmann::json m;
    REQUIRE(reader.next(m));
    CHECK(m["type"] == "started");
    CHECK(m["pid"] == pid);

    // The guest prints 24 bytes (55 exits), then spins without exits.
    uint64_t exits = 0;
    for (int i = 0; i < 100 && exits < 55; ++i) {
        usleep(10000);
        REQUIRE(worker::send_message(sv[0], {{"type", "status"}}));
        REQUIRE(reader.next(m));
        REQUIRE(m["type"] == "status");
        CHECK(m["state"] == "running");
        exits = m["exits"];
    }
    CHECK(exits == 55);

    REQUIRE(worker::send_message(sv[0], {{"type", "stop"}}));
    REQUIRE(reader.next(m));
    CHECK(m["type"] == "result");
    CHECK(m["outcome"] == "stopped");
    CHECK(m["status"] == 10);
    CHECK(m["serial"] == "fault-forever: spinning\n");
    CHECK_FALSE(reader.next(m));  // the worker closed the channel
    close(sv[0]);
    int ws = 0;
    waitpid(pid, &ws, 0);
    CHECK(WIFEXITED(ws));
    CHECK(WEXITSTATUS(ws) == 10);
}

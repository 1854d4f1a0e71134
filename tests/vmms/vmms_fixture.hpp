// A management service of its own for each test: socket and state in a
// temporary directory, `ptv vm ...` run against it exactly as a user would,
// and, at the end, every worker it started gone.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/process.hpp"

namespace ptv::test {

class VmmsFixture {
  public:
    // Starts the service (foreground, as a child) unless told not to.
    explicit VmmsFixture(bool start = true);
    ~VmmsFixture();

    // `ptv vmms start` in the foreground; `wrapper` goes in front (unshare).
    void start_service(const std::vector<std::string>& wrapper = {});
    void kill_service();  // SIGKILL, as a crash would

    // `ptv vm ARGS --socket S`; vmj adds --json and parses stdout.
    Completed vm(std::vector<std::string> args, double timeout_s = 30);
    nlohmann::json vmj(std::vector<std::string> args, double timeout_s = 30);
    // The VM's row of `ptv vm list --json` (null if none).
    nlohmann::json row(const std::string& name);
    // Polls the VM's row until pred(row) holds or timeout_s passes.
    template <class Pred>
    nlohmann::json wait_row(const std::string& name, Pred pred, double timeout_s = 10);
    // Polls the console backlog until it contains `text`.
    std::string wait_console(const std::string& name, const std::string& text,
                             double timeout_s = 10);
    // Lifecycle events of the trace (category vmms) of one VM, by name.
    std::vector<nlohmann::json> trace_events(const std::string& vm_name = "");
    // Worker processes started for this fixture's state directory.
    std::vector<pid_t> workers();

    TempDir dir;
    std::string socket, state;
    pid_t service = -1;

  private:
    void sleep_ms(int ms);
};

template <class Pred>
nlohmann::json VmmsFixture::wait_row(const std::string& name, Pred pred, double timeout_s) {
    nlohmann::json r;
    for (int i = 0; i < int(timeout_s * 100); ++i) {
        r = row(name);
        if (pred(r)) return r;
        sleep_ms(10);
    }
    return r;
}

}  // namespace ptv::test

#include "vmms_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace ptv::test {

namespace {
bool connectable(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}
}  // namespace

VmmsFixture::VmmsFixture(bool start) : socket(dir.file("vmms.sock")), state(dir.file("state")) {
    if (start) start_service();
}

void VmmsFixture::sleep_ms(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void VmmsFixture::start_service(const std::vector<std::string>& wrapper) {
    std::vector<std::string> argv = wrapper;
    for (std::string a : {bin("ptv"), std::string("vmms"), std::string("start"),
                          std::string("--socket"), socket, std::string("--state-dir"), state})
        argv.push_back(a);
    service = fork();
    if (service == 0) {
        const int log = open(dir.file("vmms.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(log, 1);
        dup2(log, 2);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    for (int i = 0; i < 500 && !connectable(socket); ++i) sleep_ms(10);
    REQUIRE_MESSAGE(connectable(socket), "the service did not come up");
}

void VmmsFixture::kill_service() {
    if (service <= 0) return;
    kill(service, SIGKILL);
    waitpid(service, nullptr, 0);
    service = -1;
}

VmmsFixture::~VmmsFixture() {
    if (service > 0) {
        run({bin("ptv"), "vmms", "stop", "--vms", "--socket", socket}, {}, 20);
        // A service that does not go (stuck in a send, say) is killed after
        // 5 s: the test then fails, it never hangs.
        pid_t gone = 0;
        for (int i = 0; i < 500 && (gone = waitpid(service, nullptr, WNOHANG)) == 0; ++i)
            sleep_ms(10);
        if (gone == 0) {
            kill(service, SIGKILL);
            waitpid(service, nullptr, 0);
            CHECK_MESSAGE(false, "the service did not stop when asked; killed");
        }
    }
    // Whatever is left (a test that killed the service): by force.
    for (pid_t p : workers()) kill(p, SIGKILL);
    for (int i = 0; i < 100 && !workers().empty(); ++i) sleep_ms(10);
    CHECK_MESSAGE(workers().empty(), "worker processes left behind");
    CHECK_FALSE(fs::exists(socket));
}

Completed VmmsFixture::vm(std::vector<std::string> args, double timeout_s) {
    std::vector<std::string> argv = {bin("ptv"), "vm"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--socket", socket});
    return run(argv, {}, timeout_s);
}

nlohmann::json VmmsFixture::vmj(std::vector<std::string> args, double timeout_s) {
    args.push_back("--json");
    auto r = vm(args, timeout_s);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    INFO("ptv vm " << args[0] << ": status " << r.status << ", stderr " << r.err);
    REQUIRE_FALSE(j.is_discarded());
    j["exit_status"] = r.status;
    return j;
}

nlohmann::json VmmsFixture::row(const std::string& name) {
    auto r = vm({"list", "--json"});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return nullptr;
    for (const auto& v : j["vms"])
        if (v["name"] == name) return v;
    return nullptr;
}

std::string VmmsFixture::wait_console(const std::string& name, const std::string& text,
                                      double timeout_s) {
    std::string out;
    for (int i = 0; i < int(timeout_s * 50); ++i) {
        out = vm({"console", name, "--dump"}).out;
        if (out.find(text) != std::string::npos) break;
        sleep_ms(20);
    }
    return out;
}

std::vector<nlohmann::json> VmmsFixture::trace_events(const std::string& vm_name) {
    std::ifstream in(state + "/trace.json");
    std::vector<nlohmann::json> all, out;
    int pid = -1;
    for (std::string line; std::getline(in, line);) {
        auto e = nlohmann::json::parse(line, nullptr, false);
        if (e.is_discarded()) continue;
        if (e.value("ph", "") == "M" && e["args"].value("name", "") == "vm " + vm_name)
            pid = e.value("pid", -1);
        all.push_back(e);
    }
    for (auto& e : all)
        if (e.value("cat", "") == "vmms" && (vm_name.empty() || e.value("pid", -2) == pid))
            out.push_back(e);
    return out;
}

std::vector<pid_t> VmmsFixture::workers() {
    std::vector<pid_t> mine;
    for (pid_t p : processes_running(bin("ptv-vmwp"))) {
        std::ifstream in("/proc/" + std::to_string(p) + "/cmdline");
        std::stringstream s;
        s << in.rdbuf();
        if (s.str().find(dir.path) != std::string::npos) mine.push_back(p);
    }
    return mine;
}

}  // namespace ptv::test

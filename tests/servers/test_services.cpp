// The services and tools around the architectures, through `ptv` as a
// user runs them: the session counters across a restart, the superserver,
// the load generator, compare, the trace, and bad input.
#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "ptv/common/trace.hpp"
#include "server_process.hpp"

using namespace ptv::test;

namespace {

// GET / with a Cookie header; the visit count and the Set-Cookie value.
std::pair<int, std::string> visit(int port, const std::string& cookie) {
    auto r = ptv::test::exchange(
        port, get_request("/", cookie.empty() ? "" : "Cookie: " + cookie + "\r\n"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    int visits = -1;
    std::sscanf(r->body.c_str(), "visits: %d", &visits);
    std::string set = r->set_cookie.substr(0, r->set_cookie.find(';'));
    return {visits, set};
}

void check_usage_error(std::vector<std::string> args, const std::string& mentions) {
    std::vector<std::string> argv{bin("ptv"), "servers"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, {}, 30);
    INFO("args: " << args[0] << " ... stderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(mentions) != std::string::npos);
}

}  // namespace

TEST_CASE("session counter: the stateful one forgets on restart, the stateless one does not") {
    for (const char* service : {"stateful-counter", "stateless-counter"}) {
        INFO(service);
        std::string cookie;
        int v = 0;
        {
            ServerProcess server({"--service", service, "--arch", "dispatcher-worker"});
            std::tie(v, cookie) = visit(server.port(), "");
            CHECK(v == 1);
            std::tie(v, cookie) = visit(server.port(), cookie);
            CHECK(v == 2);
            std::tie(v, cookie) = visit(server.port(), cookie);
            CHECK(v == 3);
            CHECK(server.stop(SIGTERM) == 0);
        }
        ServerProcess restarted({"--service", service, "--arch", "fsm"});
        std::tie(v, cookie) = visit(restarted.port(), cookie);
        if (std::string(service) == "stateful-counter")
            CHECK(v == 1);  // the server's memory of the session died with it
        else
            CHECK(v == 4);  // the state came back with the client
        CHECK(restarted.stop(SIGTERM) == 0);
    }
}

TEST_CASE("superserver: no service until the first connection, then one per port") {
    ServedTree tree;
    // Not ServerProcess (that one runs `servers run`): start it by hand.
    TempDir dir;
    const std::string log = dir.file("out.txt");
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(bin("ptv").c_str(), "ptv", "servers", "superserver", "--ports",
              "0,0=stateless-counter", "--root", tree.root.c_str(), "--arch", "prefork",
              "--workers", "2", nullptr);
        _exit(127);
    }
    setpgid(pid, pid);
    auto read_log = [&] {
        std::ifstream f(log);
        return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    };
    std::smatch m;
    std::string text;
    const std::regex ports_re("port (\\d+): files[^\\n]*\\n  port (\\d+): stateless-counter");
    for (int i = 0; i < 100 && !std::regex_search(text = read_log(), m, ports_re); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(m.size() == 3);
    const int files_port = std::stoi(m[1]), counter_port = std::stoi(m[2]);
    CHECK(children_of(pid).empty());  // nothing runs yet

    auto r = ptv::test::exchange(files_port, get_request("/small.txt"));
    REQUIRE(r);
    CHECK(r->body == ServedTree::kSmallText);
    CHECK(children_of(pid).size() == 1);
    CHECK(visit(counter_port, "visits=9").first == 10);
    auto services = children_of(pid);
    CHECK(services.size() == 2);
    // A second request goes to the running service; nothing new starts.
    CHECK(ptv::test::exchange(files_port, get_request("/sub/a.txt"))->body == "a\n");
    CHECK(children_of(pid).size() == 2);

    // Every process of the tree, to check none survives.
    std::vector<pid_t> tree_pids = services;
    for (pid_t s : services)
        for (pid_t k : children_of(s)) tree_pids.push_back(k);
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    for (pid_t p : tree_pids) CHECK(!std::filesystem::exists("/proc/" + std::to_string(p)));
    text = read_log();
    CHECK(text.find("first connection; started files") != std::string::npos);
    CHECK(text.find("superserver: stopped") != std::string::npos);
    kill(-pid, SIGKILL);  // in case a check failed
}

TEST_CASE("load: closed and open loop against a real server, text and JSON") {
    ServedTree tree;
    ServerProcess server({"--arch", "fsm", "--root", tree.root});
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/small.txt";
    auto closed =
        run({bin("ptv"), "servers", "load", url, "--clients", "4", "--duration", "0.5", "--json"});
    REQUIRE(closed.status == 0);
    auto j = nlohmann::json::parse(closed.out);
    CHECK(j["mode"] == "closed");
    CHECK(j["requests"].get<int>() > 100);
    CHECK(j["errors"] == 0);
    CHECK(j["non_2xx"] == 0);
    CHECK(j["statuses"]["200"] == j["requests"]);
    CHECK(j["connections"] == 4);  // kept alive
    CHECK(j["latency_ms"]["p50"].get<double>() <= j["latency_ms"]["p99"].get<double>());
    CHECK(j["latency_ms"]["p99"].get<double>() <= j["latency_ms"]["p99.9"].get<double>());

    auto open = run({bin("ptv"), "servers", "load", url, "--clients", "4", "--duration", "1",
                     "--rate", "200", "--json"});
    REQUIRE(open.status == 0);
    j = nlohmann::json::parse(open.out);
    CHECK(j["mode"] == "open");
    // 200 requests due in one second; the last may still be in flight.
    CHECK(j["requests"].get<int>() >= 195);
    CHECK(j["requests"].get<int>() <= 200);

    auto text = run({bin("ptv"), "servers", "load", url, "-c", "2", "-d", "0.2"});
    REQUIRE(text.status == 0);
    CHECK(text.out.find("latency p99.9") != std::string::npos);
    CHECK(text.err.empty());  // no progress bar when stderr is not a terminal

    // Against a port nobody listens on: errors, not a hang.
    auto none = run(
        {bin("ptv"), "servers", "load", "http://127.0.0.1:1/", "-c", "2", "-d", "0.3", "--json"});
    REQUIRE(none.status == 0);
    CHECK(nlohmann::json::parse(none.out)["errors"].get<int>() > 0);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("run --trace: request spans split queueing, service and disk") {
    ServedTree tree;
    TempDir dir;
    const std::string path = dir.file("t.json");
    ServerProcess server({"--arch", "dispatcher-worker", "--root", tree.root, "--workers", "1",
                          "--disk-latency", "20", "--cache", "0", "--trace", path});
    // Two clients at once on one worker: the second waits in the queue.
    std::thread other([&] {
        ptv::test::exchange(server.port(), get_request("/small.txt", "Connection: close\r\n"));
    });
    ptv::test::exchange(server.port(), get_request("/sub/a.txt", "Connection: close\r\n"));
    other.join();
    CHECK(server.stop(SIGTERM) == 0);
    auto t = ptv::trace::load(path);
    REQUIRE(t.error.empty());
    int requests = 0, disks = 0;
    double max_queueing_us = 0;
    for (const auto& ev : t.events) {
        if (ev.value("cat", "") != "request") continue;
        const std::string name = ev.value("name", "");
        if (name == "request") ++requests;
        if (name == "disk") {
            ++disks;
            CHECK(ev["dur"].get<double>() >= 19000);
        }
        if (name == "queueing")
            max_queueing_us = std::max(max_queueing_us, ev["dur"].get<double>());
    }
    CHECK(requests == 2);
    CHECK(disks == 2);
    CHECK(max_queueing_us >= 15000);  // one waited for the other's disk read
    CHECK(t.metadata["requests"] == 2);
}

TEST_CASE("compare: every architecture, one table, one trace") {
    TempDir dir;
    const std::string path = dir.file("compare.json");
    std::vector<std::string> argv = {bin("ptv"), "servers",   "compare", "--duration",
                                     "0.3",      "--clients", "4",       "--disk-latency",
                                     "2",        "--trace",   path,      "--trace-requests",
                                     "50",       "--json"};
    size_t archs = 7;
#ifdef PTV_SANITIZED_THREAD
    // TSan cannot follow Boost.Fiber's context switches (Makefile, sanitize-thread).
    argv.insert(argv.end(), {"--archs",
                             "iterative,thread-per-connection,dispatcher-worker,"
                             "process-per-connection,prefork,fsm"});
    archs = 6;
#endif
    auto r = run(argv, {}, 120);
    INFO(r.err);
    REQUIRE(r.status == 0);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["architectures"].size() == archs);
    for (const auto& a : j["architectures"]) {
        INFO(a["architecture"]);
        CHECK(a["requests"].get<int>() > 0);
        CHECK(a["errors"] == 0);
        CHECK(a["non_2xx"] == 0);
        CHECK(a["peak_rss_bytes"].get<uint64_t>() > 0);
        CHECK(a["peak_processes"].get<int>() >= 1);
    }
    auto arch = [&](const std::string& name) {
        for (const auto& a : j["architectures"])
            if (a["architecture"] == name) return a;
        return nlohmann::json();
    };
    CHECK(arch("iterative")["peak_threads"] == 1);
    CHECK(arch("iterative")["peak_processes"] == 1);
    CHECK(arch("prefork")["peak_processes"] == 5);  // the parent and 4 children
    CHECK(arch("thread-per-connection")["peak_threads"].get<int>() >= 5);
    CHECK(arch("fsm")["peak_processes"] == 1);
    auto t = ptv::trace::load(path);
    CHECK(t.error.empty());
    std::set<int> pids;
    for (const auto& ev : t.events)
        if (ev.value("cat", "") == "request") pids.insert(ev["pid"].get<int>());
    CHECK(pids.size() == archs);
    // Nothing left in /tmp.
    for (const auto& e : std::filesystem::directory_iterator("/tmp"))
        CHECK(e.path().filename().string().rfind("ptv-compare-", 0) != 0);
}

TEST_CASE("bad input: one line, exit 2") {
    ServedTree tree;
    check_usage_error({"run", "--arch", "nope"}, "--arch nope");
    check_usage_error({"run", "--port", "70000"}, "--port");
    check_usage_error({"run", "--root", "/nonexistent-dir"}, "/nonexistent-dir");
    check_usage_error({"run", "--root", tree.root + "/small.txt"}, "small.txt");
    check_usage_error({"run", "--workers", "0"}, "--workers");
    check_usage_error({"run", "--disk-latency", "-1"}, "--disk-latency");
    check_usage_error({"run", "--timeout", "0"}, "--timeout");
    check_usage_error({"run", "--service", "chat"}, "--service chat");
    check_usage_error({"run", "--service", "stateful-counter", "--arch", "prefork"},
                      "stateful-counter");
    check_usage_error({"run", "--trace", "/nonexistent-dir/t.json"}, "/nonexistent-dir");
    check_usage_error({"run", "--host", "example.com"}, "--host");
    {
        ServerProcess busy({"--root", tree.root});
        check_usage_error({"run", "--port", std::to_string(busy.port())}, "in use");
    }
    check_usage_error({"load"}, "url");
    check_usage_error({"load", "ftp://x/"}, "http://");
    check_usage_error({"load", "http://example.com/"}, "IPv4");
    check_usage_error({"load", "http://127.0.0.1:99999/"}, "port");
    check_usage_error({"load", "http://127.0.0.1:8080/", "--clients", "0"}, "--clients");
    check_usage_error({"load", "http://127.0.0.1:8080/", "--duration", "-1"}, "--duration");
    check_usage_error({"load", "http://127.0.0.1:8080/", "--rate", "0.5"}, "--rate");
    check_usage_error({"compare", "--archs", "fsm,nope"}, "nope");
    check_usage_error({"compare", "--clients", "0"}, "--clients");
    check_usage_error({"compare", "--trace", "/nonexistent-dir/t.json"}, "/nonexistent-dir");
    check_usage_error({"superserver"}, "--ports");
    check_usage_error({"superserver", "--ports", "80x"}, "80x");
    check_usage_error({"superserver", "--ports", "0=chat"}, "chat");
    check_usage_error({"nosuchverb"}, "subcommand");
}

// Public case: what parallelism buys with a slow disk (Fig. 3-3's table).
// Every read misses the cache and waits 10 ms; 64 clients ask as fast as
// they are answered (closed loop). The iterative server overlaps nothing:
// at most 100 replies a second. The same run measures it and your server,
// and grades the ratio, so a slow or busy machine slows both alike.
#include <chrono>
#include <string>

#include "harness/cases.hpp"
#include "harness/server_under_test.hpp"
#include "ptv/servers/load/load.hpp"

using namespace std::chrono_literals;
using namespace ptv::servers;
using namespace servers_lab::harness;
using ptv::lab::expect;

namespace {

constexpr int kClients = 64;
constexpr double kSeconds = 1.5;
constexpr double kRatio = 20;

load::LoadResult measure(const std::string& name, const conformance::ServedTree& tree) {
    ServerOptions o;
    o.disk_latency = 10ms;
    o.cache_files = 0;
    o.workers = kClients;  // worker threads, or disk helpers: one per client
    ServerUnderTest server(name, tree, o);
    load::LoadOptions l;
    l.url = load::parse_url("http://127.0.0.1:" + std::to_string(server.port()) + "/small.txt");
    l.clients = kClients;
    l.duration_s = kSeconds;
    l.timeout_s = 5;
    load::LoadResult r = load::run_load(l);
    server.stop();
    return r;
}

}  // namespace

SERVERS_LAB_CASE("throughput", throughput_case) {
    conformance::ServedTree tree;
    const load::LoadResult base = measure("iterative", tree);
    const load::LoadResult mine = measure(server_name(prefix), tree);
    const double ratio = base.throughput() > 0 ? mine.throughput() / base.throughput() : 0;
    ctx.measure("iterative_requests_per_s", base.throughput());
    ctx.measure("requests_per_s", mine.throughput());
    ctx.measure("ratio", ratio);
    ctx.input(std::to_string(kClients) + " clients, 10 ms disk, no cache, " +
              std::to_string(kSeconds).substr(0, 3) + " s per server");
    expect(mine.errors == 0 && mine.non_2xx() == 0,
           std::to_string(mine.errors) + " requests failed and " + std::to_string(mine.non_2xx()) +
               " were not answered 200, of " + std::to_string(mine.completed + mine.errors));
    char text[200];
    std::snprintf(text, sizeof text,
                  "%.0f requests/s against the iterative server's %.0f in the same run: %.1fx, "
                  "less than %.0fx",
                  mine.throughput(), base.throughput(), ratio, kRatio);
    expect(ratio >= kRatio, text);
}

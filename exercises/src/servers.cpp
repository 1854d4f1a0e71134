// Questions on the server architectures (ch. 3.3, Fig. 3-3) from
// `ptv servers sim -s SEED -c`: the problem is the model's, the architecture
// and client asked about are the model's own question 2.
#include "make.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/exercises/generator.hpp"
#include "ptv/servers/sim/model.hpp"
#include "ptv/servers/sim/report.hpp"

namespace ptv::exercises {

namespace {

namespace ss = ptv::servers::sim;
namespace arch = ptv::servers::arch;
using detail::kExact;

class ServersGenerator : public Generator {
  public:
    std::string module() const override { return "servers"; }

    Attempt make(uint64_t seed) const override {
        ss::Problem p;
        p.seed = seed;
        p.generated = true;
        p.cfg = ss::generate(seed);
        ss::validate(p.cfg);
        p.archs = arch::all_architectures();
        std::vector<ss::Result> results;
        for (auto a : p.archs) results.push_back(ss::simulate(a, p.cfg));
        const ss::Question asked = ss::question(p);
        size_t ai = 0;
        while (p.archs[ai] != asked.arch) ++ai;
        const std::string name(arch::to_string(asked.arch));
        // Queueing is what the architectures differ in: some request must
        // wait for a worker or a CPU.
        bool waits = false;
        for (const auto& rq : results[ai].requests) waits = waits || rq.cpu_start > rq.arrive;
        if (!waits) return {std::nullopt, fmt::format("no request waits under {}", name)};
        const nlohmann::json out = ss::to_json(p, results, true);
        const ss::Config& c = p.cfg;
        const std::string command = fmt::format("ptv servers sim -s {} -c", seed);
        const std::string text = fmt::format(
            "Server architectures (ch. 3.3). The {} server (sim/servers/sim/README.md) serves "
            "{} closed-loop clients, each sending {} requests one after the other (the next "
            "when the reply to the previous one arrives; all start at tick 0). A request needs "
            "{} ms of CPU, then a {} ms disk read (reads overlap; a blocked thread or process "
            "keeps its slot while it waits). The machine has {}; dispatcher-worker and prefork "
            "have K = {} workers; a fork costs {} ms of CPU. Queues are FIFO; 1 tick = 1 ms.\n",
            name, c.clients, c.requests, c.cpu, c.disk, detail::plural(c.cpus, "CPU", "CPUs"),
            c.workers, c.fork);
        const std::string arch_ptr = fmt::format("/architectures/{}", ai);
        SplitMix64 rng(seed ^ 0x6578736572766572ull);  // "exserver"
        Question q;
        switch (rng.below(4)) {
            case 0: {
                const int k = asked.client * c.requests + c.requests - 1;
                q = detail::base(module(), seed, command,
                                 fmt::format("{}: client {} done", name, asked.client),
                                 text + fmt::format("At which tick (ms) is the reply to client "
                                                    "C{}'s last request sent?",
                                                    asked.client));
                detail::numerical(q, out, fmt::format("{}/requests/{}/done", arch_ptr, k), "ms", 0,
                                  kExact);
                break;
            }
            case 1:
                q = detail::base(module(), seed, command, fmt::format("{}: last reply", name),
                                 text + "At which tick (ms) is the last reply sent?");
                detail::numerical(q, out, arch_ptr + "/makespan_ms", "ms", 0, kExact);
                break;
            case 2:
                q = detail::base(
                    module(), seed, command, fmt::format("{}: mean response", name),
                    text +
                        "What is the mean response time (reply minus arrival, over all "
                        "requests), in ms?");
                detail::numerical(q, out, arch_ptr + "/mean_response_ms", "ms", 0.1,
                                  "a mean; the simulator prints it to 0.1 ms, so 0.1 accepts "
                                  "its rounded figure");
                break;
            default:
                q = detail::base(module(), seed, command, fmt::format("{}: throughput", name),
                                 text +
                                     "What throughput does it reach, in requests per second (all "
                                     "requests x 1000 / the tick of the last reply)?");
                detail::numerical(q, out, arch_ptr + "/throughput_rps", "requests/s", 0.1,
                                  "a ratio; the simulator prints it to 0.1, so 0.1 accepts its "
                                  "rounded figure");
                break;
        }
        q.explanation =
            "With -c the model also prints every architecture's answers and each request's times.";
        return {std::move(q), ""};
    }
};

}  // namespace

std::unique_ptr<Generator> servers_generator() {
    return std::make_unique<ServersGenerator>();
}

}  // namespace ptv::exercises

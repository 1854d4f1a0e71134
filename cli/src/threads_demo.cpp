// `ptv threads demo blocking|client`: the real demos of ch. 3.1 and 3.2
// (sim/threads/demo): a blocking system call under many-to-one and
// many-to-many threading, and a multithreaded client hiding latency.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/threads/demo/blocking.hpp"
#include "ptv/threads/demo/client.hpp"

namespace ptv::cli {

namespace {

struct BlockingArgs {
    ptv::threads::demo::BlockingOptions options;
    std::string trace_path;
    bool json = false;
};

struct ClientArgs {
    ptv::threads::demo::ClientOptions options;
    std::string trace_path;
    bool json = false;
};

// Runs a demo: checks the options before anything runs (a mistake is one
// line and exit 2), opens the trace before the run (an unwritable path is a
// mistake too), then prints the table or JSON.
template <class Options, class Run>
int run_demo(const Options& options, const std::string& trace_path, bool json, Run run) {
    ptv::threads::demo::validate(options);
    std::unique_ptr<ptv::trace::TraceWriter> trace;
    if (!trace_path.empty())
        trace =
            std::make_unique<ptv::trace::TraceWriter>(ptv::trace::TraceWriter::open(trace_path));
    auto result = run(options);
    if (trace) {
        ptv::threads::demo::write_trace(result, *trace);
        if (!trace->finish()) throw ptv::UsageError("could not write the trace " + trace_path);
    }
    if (json)
        std::printf("%s\n", ptv::threads::demo::to_json(result).dump(2).c_str());
    else
        std::printf("%s", ptv::threads::demo::render_table(result).c_str());
    return 0;
}

}  // namespace

Commands threads_demo_commands(CLI::App& threads) {
    auto* demo = threads.add_subcommand(
        "demo", "real demos: a blocking call under M:1 and M:N threads, latency hiding");
    demo->require_subcommand(1);

    auto b = std::make_shared<BlockingArgs>();
    auto* blocking = demo->add_subcommand(
        "blocking",
        "N fibers and one that blocks in read(): on 1 kernel thread, over K kernel threads "
        "(shared_work), and with a fiber-aware wait");
    blocking->add_option("--fibers", b->options.fibers, "worker fibers (1-1000)")
        ->capture_default_str();
    blocking->add_option("--block-ms", b->options.block_ms, "how long read() blocks, ms (1-10000)")
        ->capture_default_str();
    blocking
        ->add_option("--kernel-threads", b->options.kernel_threads,
                     "kernel threads of the M:N run (1-64)")
        ->capture_default_str();
    blocking->add_option("--trace", b->trace_path, "write a Chrome trace (Perfetto) to FILE");
    blocking->add_flag("--json", b->json, "print the results as JSON");

    auto c = std::make_shared<ClientArgs>();
    auto* client = demo->add_subcommand(
        "client",
        "fetch K documents from a local server with latency: sequentially, with K threads, "
        "with K fibers");
    client->add_option("--documents", c->options.documents, "documents to fetch (1-256)")
        ->capture_default_str();
    client
        ->add_option("--latency-ms", c->options.latency_ms,
                     "server latency per request, ms (0-5000)")
        ->capture_default_str();
    client->add_option("--trace", c->trace_path, "write a Chrome trace (Perfetto) to FILE");
    client->add_flag("--json", c->json, "print the results as JSON");

    return {
        {blocking,
         [b] {
             return run_demo(b->options, b->trace_path, b->json, [](const auto& o) {
                 return ptv::threads::demo::run_blocking_demo(o);
             });
         }},
        {client,
         [c] {
             return run_demo(c->options, c->trace_path, c->json,
                             [](const auto& o) { return ptv::threads::demo::run_client_demo(o); });
         }},
    };
}

}  // namespace ptv::cli

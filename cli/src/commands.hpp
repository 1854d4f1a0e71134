// How a module adds its verbs to `ptv`: it registers subcommands under its
// module's CLI11 app and returns, for each, the function that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>
#include <vector>

namespace ptv::cli {

using Runner = std::function<int()>;
using Commands = std::vector<std::pair<CLI::App*, Runner>>;

// `ptv threads sim`            (cli/src/threads_sim.cpp)
Commands threads_sim_commands(CLI::App& threads);
// `ptv threads measure`        (cli/src/threads_measure.cpp)
Commands threads_measure_commands(CLI::App& threads);
// `ptv threads demo ...`       (cli/src/threads_demo.cpp)
Commands threads_demo_commands(CLI::App& threads);
// `ptv threads kvm`            (cli/src/threads_kvm.cpp)
Commands threads_kvm_commands(CLI::App& threads);

// `ptv servers run|superserver` (cli/src/servers_run.cpp)
Commands servers_run_commands(CLI::App& servers);
// `ptv servers load|compare`   (cli/src/servers_load.cpp)
Commands servers_load_commands(CLI::App& servers);
// `ptv servers sim`            (cli/src/servers_sim.cpp)
Commands servers_sim_commands(CLI::App& servers);
// `ptv servers kvm`            (cli/src/servers_kvm.cpp)
Commands servers_kvm_commands(CLI::App& servers);
// `ptv servers switch`         (cli/src/servers_switch.cpp)
Commands servers_switch_commands(CLI::App& servers);

// `ptv migrate bindings|sim`  (cli/src/migrate_sim.cpp)
Commands migrate_sim_commands(CLI::App& migrate);

// `ptv vmms start|stop`        (cli/src/vmms_service.cpp)
Commands vmms_service_commands(CLI::App& vmms);
// `ptv vm create|start|...`    (cli/src/vmms_client.cpp)
Commands vmms_client_commands(CLI::App& vm);

// `ptv migrate live|listen|ship` (cli/src/migrate_live.cpp)
Commands migrate_live_commands(CLI::App& migrate);

// `ptv cluster sim`            (cli/src/cluster_sim.cpp)
Commands cluster_sim_commands(CLI::App& cluster);

// `ptv cluster up|down|status|place|rebalance` (cli/src/cluster.cpp)
Commands cluster_commands(CLI::App& cluster);
// `ptv cluster serve`          (cli/src/cluster_serve.cpp)
Commands cluster_serve_commands(CLI::App& cluster);

// `ptv container run`          (cli/src/container.cpp)
Commands container_commands(CLI::App& container);

// `ptv compare container-vs-vm` (cli/src/compare_container_vm.cpp)
Commands compare_commands(CLI::App& compare);

}  // namespace ptv::cli

// The registry of server architectures (see server_registry.hpp).
#include "ptv/servers/arch/server_registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

#include "ptv/common/error.hpp"
#include "ptv/servers/arch/architectures.hpp"

namespace ptv::servers::arch {

void ServerRegistry::add(std::string_view name, std::string_view description, Factory make) {
    if (find(name))
        throw std::invalid_argument(fmt::format("server architecture {}: registered twice", name));
    entries_.push_back({std::string(name), std::string(description), std::move(make)});
}

const ServerRegistry::Entry* ServerRegistry::find(std::string_view name) const {
    for (const auto& e : entries_)
        if (e.name == name) return &e;
    return nullptr;
}

std::vector<std::string> ServerRegistry::names() const {
    std::vector<std::string> v;
    for (const auto& e : entries_) v.push_back(e.name);
    return v;
}

std::unique_ptr<Server> ServerRegistry::make(std::string_view name, ServerEnv& env) const {
    if (const Entry* e = find(name)) return e->make(env);
    throw UsageError(fmt::format("--arch {}: no such architecture; give one of {}", name,
                                 fmt::join(names(), " | ")));
}

const ServerRegistry& builtin_servers() {
    static const ServerRegistry registry = [] {
        using A = Architecture;
        ServerRegistry r;
        // One line per architecture: its name, its design in one line, its class.
        r.add<IterativeServer>(to_string(A::Iterative),
                               "one thread, one request at a time, blocking calls");
        r.add<ThreadPerConnectionServer>(to_string(A::ThreadPerConnection),
                                         "a new kernel thread per connection, blocking calls");
        r.add<DispatcherWorkerServer>(
            to_string(A::DispatcherWorker),
            "Fig. 3-3: a dispatcher queues connections for K worker threads");
        r.add<ProcessPerConnectionServer>(to_string(A::ProcessPerConnection),
                                          "fork() per connection, blocking calls");
        r.add<PreforkServer>(to_string(A::Prefork),
                             "K processes forked in advance, each accepting");
        r.add<FiniteStateMachineServer>(
            to_string(A::FiniteStateMachine),
            "one thread, epoll, non-blocking calls, a state per connection; disk on helpers");
        r.add<FiberServer>(to_string(A::Fibers), "a Boost.Fiber per connection over an epoll loop");
        return r;
    }();
    return registry;
}

}  // namespace ptv::servers::arch

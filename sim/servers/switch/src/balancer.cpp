// The policies of the front-end switch (see balancer.hpp).
#include "ptv/servers/switch/balancer.hpp"

#include <fmt/format.h>

#include "ptv/common/error.hpp"

namespace ptv::servers::frontend {

Policy parse_policy(const std::string& name) {
    for (Policy p : {Policy::RoundRobin, Policy::LeastConnections, Policy::Hash})
        if (name == to_string(p)) return p;
    throw UsageError(
        fmt::format("--policy {}: no such policy; give one of {}", name, policy_names()));
}

std::string_view to_string(Policy p) {
    switch (p) {
        case Policy::RoundRobin:
            return "round-robin";
        case Policy::LeastConnections:
            return "least-connections";
        case Policy::Hash:
            return "hash";
    }
    return "?";
}

std::string policy_names() {
    return "round-robin, least-connections, hash";
}

std::unique_ptr<Balancer> make_balancer(Policy p) {
    switch (p) {
        case Policy::LeastConnections:
            return std::make_unique<LeastConnections>();
        case Policy::Hash:
            return std::make_unique<SourceHash>();
        case Policy::RoundRobin:
            break;
    }
    return std::make_unique<RoundRobin>();
}

int RoundRobin::pick(std::span<const BackendView> backends, uint32_t) {
    const size_t n = backends.size();
    for (size_t k = 0; k < n; ++k) {
        const size_t i = (next_ + k) % n;
        if (backends[i].up) {
            next_ = i + 1;
            return int(i);
        }
    }
    return -1;
}

int LeastConnections::pick(std::span<const BackendView> backends, uint32_t) {
    int best = -1;
    for (size_t i = 0; i < backends.size(); ++i)
        if (backends[i].up && (best < 0 || backends[i].open < backends[size_t(best)].open))
            best = int(i);
    return best;
}

int SourceHash::pick(std::span<const BackendView> backends, uint32_t client_ip) {
    int best = -1;
    uint64_t best_score = 0;
    for (size_t i = 0; i < backends.size(); ++i) {
        if (!backends[i].up) continue;
        const uint64_t score = rendezvous_score(client_ip, backends[i].address);
        if (best < 0 || score > best_score) {
            best = int(i);
            best_score = score;
        }
    }
    return best;
}

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t rendezvous_score(uint32_t client_ip, const Address& backend) {
    const uint64_t server = (uint64_t(backend.ip) << 16) | backend.port;
    return splitmix64(uint64_t(client_ip) ^ splitmix64(server));
}

}  // namespace ptv::servers::frontend

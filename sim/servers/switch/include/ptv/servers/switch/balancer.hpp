// Which server of the tier gets a new client connection (Fig. 3-12's
// front-end switch, at the transport layer: it sees connections and
// addresses, not requests). One policy per class; a test plugs in its own.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ptv/servers/switch/address.hpp"

namespace ptv::servers::frontend {

// What a policy may look at: each back end's address, whether it is in
// rotation, and how many relayed connections it has open (those still
// connecting included).
struct BackendView {
    Address address;
    bool up = true;
    uint32_t open = 0;
};

class Balancer {
  public:
    virtual ~Balancer() = default;
    virtual std::string_view name() const = 0;
    // The index of an up back end for a new connection from `client_ip`
    // (host byte order), or -1 when none is up. Called again, with the back
    // end it chose marked down, when connecting to it failed.
    virtual int pick(std::span<const BackendView> backends, uint32_t client_ip) = 0;
};

enum class Policy { RoundRobin, LeastConnections, Hash };

// "round-robin" | "least-connections" | "hash"; throws ptv::UsageError.
Policy parse_policy(const std::string& name);
std::string_view to_string(Policy p);
std::string policy_names();  // "round-robin, least-connections, hash"
std::unique_ptr<Balancer> make_balancer(Policy p);

// Round robin: the next up back end after the last one chosen.
class RoundRobin final : public Balancer {
  public:
    std::string_view name() const override { return "round-robin"; }
    int pick(std::span<const BackendView> backends, uint32_t client_ip) override;

  private:
    size_t next_ = 0;
};

// Least connections: the up back end with the fewest open relayed
// connections; of equals, the first.
class LeastConnections final : public Balancer {
  public:
    std::string_view name() const override { return "least-connections"; }
    int pick(std::span<const BackendView> backends, uint32_t client_ip) override;
};

// Source hash, so that a client sticks to one server (its session state
// stays where it is): rendezvous hashing (highest random weight, Thaler and
// Ravishankar 1998). Every up back end gets the score
// rendezvous_score(client, back end), and the highest wins (of equals, the
// first). A client's back end changes only when that back end goes down or
// a back end with a higher score for it comes up: the clients of the other
// servers stay put, where "hash mod number of servers" would move most.
class SourceHash final : public Balancer {
  public:
    std::string_view name() const override { return "hash"; }
    int pick(std::span<const BackendView> backends, uint32_t client_ip) override;
};

// SplitMix64's finalizer (Steele, Lea and Flood 2014): a fixed, well-mixed
// 64-bit permutation.
uint64_t splitmix64(uint64_t x);
// splitmix64(client_ip XOR splitmix64(back end's ip << 16 | port)): depends
// on nothing but the two addresses, so every switch, on every run, picks
// the same back end for a client.
uint64_t rendezvous_score(uint32_t client_ip, const Address& backend);

}  // namespace ptv::servers::frontend

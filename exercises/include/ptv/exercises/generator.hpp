// What makes questions for one module, and how a bank is drawn from them.
// A Generator turns one seed into one question, or says why that seed's
// problem is not worth asking; make_bank() walks the seeds from SEED upwards
// until it has COUNT questions and records every seed it skipped. Each
// module's generator is its own file (threads.cpp, servers.cpp, vmm.cpp,
// migration.cpp, bindings.cpp); a course may add its own to a registry.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ptv/exercises/question.hpp"

namespace ptv::exercises {

struct Attempt {
    std::optional<Question> question;
    std::string why_not;  // when there is no question: "no blocking call"
};

class Generator {
  public:
    virtual ~Generator() = default;
    virtual std::string module() const = 0;
    virtual Attempt make(uint64_t seed) const = 0;
};

std::unique_ptr<Generator> threads_generator();
std::unique_ptr<Generator> servers_generator();
std::unique_ptr<Generator> vmm_generator();
std::unique_ptr<Generator> migration_generator();
std::unique_ptr<Generator> bindings_generator();

class GeneratorRegistry {
  public:
    // The kit's five modules.
    static GeneratorRegistry builtin();
    void add(std::unique_ptr<Generator> g);
    // Throws ptv::UsageError naming the modules there are.
    const Generator& find(const std::string& module) const;
    std::string names() const;  // "threads, servers, vmm, migration or bindings"

  private:
    std::vector<std::unique_ptr<Generator>> generators_;
};

inline constexpr int kMaxCount = 100;
// Seeds tried for one question before giving up (a generator that rejects
// that many in a row is broken, not unlucky).
inline constexpr int kMaxSkips = 1000;

// COUNT questions (1..kMaxCount, else ptv::UsageError) from seeds SEED,
// SEED+1, ...: each question takes the next seed whose problem qualifies.
Bank make_bank(const Generator& g, int count, uint64_t seed);

}  // namespace ptv::exercises

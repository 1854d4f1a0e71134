// Drawing a bank: the seed walk and the registry of generators
// (generator.hpp).
#include <fmt/format.h>

#include <stdexcept>

#include "ptv/common/error.hpp"
#include "ptv/exercises/generator.hpp"

namespace ptv::exercises {

GeneratorRegistry GeneratorRegistry::builtin() {
    GeneratorRegistry r;
    r.add(threads_generator());
    r.add(servers_generator());
    r.add(vmm_generator());
    r.add(migration_generator());
    r.add(bindings_generator());
    return r;
}

void GeneratorRegistry::add(std::unique_ptr<Generator> g) {
    generators_.push_back(std::move(g));
}

std::string GeneratorRegistry::names() const {
    std::string s;
    for (size_t i = 0; i < generators_.size(); ++i) {
        if (i) s += i + 1 == generators_.size() ? " or " : ", ";
        s += generators_[i]->module();
    }
    return s;
}

const Generator& GeneratorRegistry::find(const std::string& module) const {
    for (const auto& g : generators_)
        if (g->module() == module) return *g;
    throw UsageError(fmt::format("--module '{}': use {}", module, names()));
}

Bank make_bank(const Generator& g, int count, uint64_t seed) {
    if (count < 1 || count > kMaxCount)
        throw UsageError(fmt::format("--count {} is out of range: use 1..{}", count, kMaxCount));
    Bank b;
    b.module = g.module();
    b.seed = seed;
    uint64_t next = seed;
    for (int i = 0; i < count; ++i) {
        std::vector<std::string> skipped;
        for (;;) {
            if (int(skipped.size()) == kMaxSkips)
                throw std::runtime_error(
                    fmt::format("{}: {} seeds in a row from {} make no problem worth asking",
                                g.module(), kMaxSkips, next - kMaxSkips));
            const uint64_t s = next++;
            Attempt a = g.make(s);
            if (a.question) {
                a.question->skipped = std::move(skipped);
                b.questions.push_back(std::move(*a.question));
                break;
            }
            skipped.push_back(fmt::format("seed {} skipped: {}", s, a.why_not));
        }
    }
    return b;
}

}  // namespace ptv::exercises

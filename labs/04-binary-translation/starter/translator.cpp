// Lab 04: the translator's three decisions (README.md). Each function is
// called by the kit's binary translator (include/ptv/lab/bt/translator.hpp).
#include "ptv/lab/bt/translator.hpp"

#include "ptv/lab/harness.hpp"

namespace ptv::lab::bt {

Translation classify(const Instruction& insn) {
    // TODO(L4): identity, inline or callout (part 1).
    (void)insn;
    throw NotImplemented("classify");
}

void chain(Unit from, Exit exit, Unit to) {
    // TODO(L4): chain an exit whose successor was known at translation time (part 2).
    (void)from, (void)exit, (void)to;
    throw NotImplemented("chain");
}

void invalidate(Cache& cache, CodeWrite write) {
    // TODO(L4): invalidate every unit the write makes stale (part 3).
    (void)cache, (void)write;
    throw NotImplemented("invalidate");
}

}  // namespace ptv::lab::bt

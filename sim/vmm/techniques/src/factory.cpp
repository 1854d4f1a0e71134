#include "ptv/common/error.hpp"
#include "ptv/vmm/binary_translation.hpp"
#include "ptv/vmm/native.hpp"
#include "ptv/vmm/paravirt.hpp"
#include "ptv/vmm/trap_and_emulate.hpp"
#include "ptv/vmm/vmx.hpp"

namespace ptv::vmm {

const std::vector<std::string>& technique_names() {
    static const std::vector<std::string> names = {"native", "trap-emulate", "vmx", "paravirt",
                                                   "binary-translation"};
    return names;
}

std::unique_ptr<Technique> make_technique(std::string_view name, SimulatedMachine& machine) {
    if (name == "native") return std::make_unique<Native>(machine);
    if (name == "trap-emulate") return std::make_unique<TrapAndEmulate>(machine);
    if (name == "vmx") return std::make_unique<VmxModel>(machine);
    if (name == "paravirt") return std::make_unique<Paravirt>(machine);
    if (name == "binary-translation" || name == "bt")
        return std::make_unique<BinaryTranslation>(machine);
    throw UsageError("unknown technique '" + std::string(name) +
                     "'; use native, trap-emulate, vmx, paravirt or binary-translation");
}

}  // namespace ptv::vmm

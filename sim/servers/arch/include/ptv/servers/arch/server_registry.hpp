// The server architectures by name: each `--arch` name maps to the
// lecture's one-line description of the design and a factory for its
// `Server`. A new architecture is its own source file plus one line in
// builtin_servers() (src/server_registry.cpp); a test or a lab can also
// add one to a copy of the registry.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/servers/arch/server.hpp"

namespace ptv::servers::arch {

class ServerRegistry {
  public:
    using Factory = std::function<std::unique_ptr<Server>(ServerEnv&)>;

    struct Entry {
        std::string name;         // as given to --arch
        std::string description;  // how it works, in the lecture's terms
        Factory make;
    };

    // Throws std::invalid_argument for a name already registered.
    void add(std::string_view name, std::string_view description, Factory make);
    template <class S>
    void add(std::string_view name, std::string_view description) {
        add(name, description,
            [](ServerEnv& env) -> std::unique_ptr<Server> { return std::make_unique<S>(env); });
    }

    // Null when no architecture has that name.
    const Entry* find(std::string_view name) const;
    // In the order they were added.
    std::vector<std::string> names() const;
    // The server named `name` on `env`; throws ptv::UsageError naming the
    // architectures there are when there is none of that name.
    std::unique_ptr<Server> make(std::string_view name, ServerEnv& env) const;

  private:
    std::vector<Entry> entries_;
};

// The seven architectures of chapter 3.3, in the order of the Architecture
// enum (architecture.hpp).
const ServerRegistry& builtin_servers();

}  // namespace ptv::servers::arch

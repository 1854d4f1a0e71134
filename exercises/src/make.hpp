// Shared by the generators: a question whose answer is read from the
// simulator's own `--json` output at a JSON pointer, never computed again.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "ptv/exercises/question.hpp"

namespace ptv::exercises::detail {

inline Question base(const std::string& module, uint64_t seed, std::string command,
                     std::string title, std::string text) {
    Question q;
    q.id = fmt::format("{}-{}", module, seed);
    q.module = module;
    q.seed = seed;
    q.command = std::move(command);
    q.title = std::move(title);
    q.text = std::move(text);
    return q;
}

inline const nlohmann::json& at(const nlohmann::json& out, const std::string& pointer) {
    return out.at(nlohmann::json::json_pointer(pointer));
}

// A numerical answer: the value at `pointer` times `scale`.
inline void numerical(Question& q, const nlohmann::json& out, const std::string& pointer,
                      std::string unit, double tolerance, std::string why, double scale = 1) {
    q.type = Question::Type::Numerical;
    q.pointers = {pointer};
    q.scale = scale;
    q.answer = at(out, pointer).get<double>() * scale;
    q.unit = std::move(unit);
    q.tolerance = tolerance;
    q.tolerance_why = std::move(why);
}

// Multiple choice: the right choice's key is the values at `pointers`,
// joined by ", " (checked here, so a generator cannot disagree with it).
inline void multichoice(Question& q, const nlohmann::json& out, std::vector<std::string> pointers,
                        std::vector<Choice> choices) {
    q.type = Question::Type::MultiChoice;
    std::string key;
    for (const auto& p : pointers) key += (key.empty() ? "" : ", ") + key_of(at(out, p));
    q.pointers = std::move(pointers);
    q.choices = std::move(choices);
    const Choice* right = q.right_choice();
    if (!right || right->key != key)
        throw std::logic_error(
            fmt::format("{}: the right choice is not the simulator's '{}'", q.id, key));
}

inline std::string plural(int64_t n, const char* one, const char* many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

inline constexpr const char* kExact = "an integer: exact";

}  // namespace ptv::exercises::detail

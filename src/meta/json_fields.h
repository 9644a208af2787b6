#pragma once
// Typed reads of config.json fields for the meta-model options: each throws d2a::Error (bad
// input) naming `where` (the file) and the field when it is missing or of the wrong type.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "d2a/error.h"

namespace d2a::meta_json {

inline const nlohmann::json& field(const nlohmann::json& json, const char* name,
                                   const std::string& where) {
  if (!json.is_object()) throw bad_input(where + ": expected a JSON object holding '" + name + "'");
  const auto it = json.find(name);
  if (it == json.end()) throw bad_input(where + ": missing field '" + std::string(name) + "'");
  return *it;
}

inline int64_t integer(const nlohmann::json& json, const char* name, const std::string& where) {
  const auto& value = field(json, name, where);
  if (!value.is_number_integer()) {
    throw bad_input(where + ": field '" + name + "' must be an integer, got " + value.dump());
  }
  return value.get<int64_t>();
}

inline double number(const nlohmann::json& json, const char* name, const std::string& where) {
  const auto& value = field(json, name, where);
  if (!value.is_number()) {
    throw bad_input(where + ": field '" + name + "' must be a number, got " + value.dump());
  }
  return value.get<double>();
}

inline bool boolean(const nlohmann::json& json, const char* name, const std::string& where) {
  const auto& value = field(json, name, where);
  if (!value.is_boolean()) {
    throw bad_input(where + ": field '" + name + "' must be true or false, got " + value.dump());
  }
  return value.get<bool>();
}

}  // namespace d2a::meta_json

#pragma once
// Strict reading of a JSON object's fields for the from_json functions of train/ (private to
// src/train): unknown keys and wrong types are bad input that names the object and the field.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "d2a/error.h"

namespace d2a::detail {

class JsonFields {
 public:
  // `what` names the object in messages ("budget 'cpu-fast'", "recipe").
  JsonFields(const nlohmann::json& json, std::string what, std::vector<std::string> known)
      : json_(json), what_(std::move(what)), known_(std::move(known)) {
    if (!json_.is_object()) throw bad_input(what_ + ": expected a JSON object");
    for (const auto& item : json_.items()) {
      if (std::find(known_.begin(), known_.end(), item.key()) == known_.end()) {
        throw bad_input(what_ + ": unknown field '" + item.key() + "'");
      }
    }
  }

  // Sets `out` from the field when present; a missing field leaves it unchanged unless
  // `required`, which throws.
  template <typename T>
  void read(const std::string& key, T& out, bool required = false) const {
    const auto it = json_.find(key);
    if (it == json_.end()) {
      if (required) throw bad_input(what_ + ": missing field '" + key + "'");
      return;
    }
    try {
      out = it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      throw bad_input(what_ + ": field '" + key + "' has the wrong type (" + it->dump() + ")");
    }
  }

  const nlohmann::json& at(const std::string& key) const {
    const auto it = json_.find(key);
    if (it == json_.end()) throw bad_input(what_ + ": missing field '" + key + "'");
    return *it;
  }

 private:
  const nlohmann::json& json_;
  std::string what_;
  std::vector<std::string> known_;
};

}  // namespace d2a::detail

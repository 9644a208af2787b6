#pragma once
// The name tables behind the "one factory per family" functions (make_supernet, make_searcher):
// a look-up that misses is bad input listing the valid names.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "d2a/error.h"

namespace d2a {

template <typename Value>
using NameTable = std::vector<std::pair<std::string, Value>>;

template <typename Value>
std::vector<std::string> names_of(const NameTable<Value>& table) {
  std::vector<std::string> names;
  for (const auto& entry : table) names.push_back(entry.first);
  return names;
}

// `what` names the family in the message: "unknown <what> '<name>' (valid: a, b, c)".
template <typename Value>
const Value& find_by_name(const NameTable<Value>& table, std::string_view name,
                          const std::string& what) {
  for (const auto& entry : table) {
    if (entry.first == name) return entry.second;
  }
  std::string valid;
  for (const auto& known : names_of(table)) valid += (valid.empty() ? "" : ", ") + known;
  throw bad_input("unknown " + what + " '" + std::string(name) + "' (valid: " + valid + ")");
}

}  // namespace d2a

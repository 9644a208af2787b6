#include "d2a/bench/nb201_class_lookup.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "d2a/error.h"
#include "d2a/space/nb201_graph.h"

namespace d2a {

int nb201_class_of_key(std::string_view key) {
  // Built once: Nb201Equivalence maps class -> key; this is the reverse.
  static const std::unordered_map<std::string, int> class_of_key = [] {
    const auto& eq = Nb201Equivalence::instance();
    std::unordered_map<std::string, int> map;
    for (int c = 0; c < eq.num_classes(); ++c) map.emplace(eq.key(c), c);
    return map;
  }();
  const auto it = class_of_key.find(std::string(key));
  if (it == class_of_key.end()) {
    throw bad_input("no NAS-Bench-201 cell has the equivalence key '" + std::string(key) + "'");
  }
  return it->second;
}

std::vector<int> nb201_class_positions(int class_id,
                                       const std::function<int(const Nb201Cell&)>& position_of) {
  const auto& eq = Nb201Equivalence::instance();
  if (class_id < 0 || class_id >= eq.num_classes()) {
    throw bad_input("equivalence class " + std::to_string(class_id) + " is outside [0, " +
                    std::to_string(eq.num_classes()) + ")");
  }
  std::vector<int> positions;
  for (const Nb201Cell& member : eq.members(class_id)) {
    const int position = position_of(member);
    if (position >= 0) positions.push_back(position);
  }
  std::sort(positions.begin(), positions.end());
  return positions;
}

}  // namespace d2a

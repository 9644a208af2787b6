#pragma once
// Look-ups by functional-equivalence class (space/nb201_graph.h) that the benchmark tables share:
// from an equivalence key (the 200-epoch table's `UniqueString`) to its class, and from a class to
// the rows of a table that list its members.
#include <functional>
#include <string_view>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

// The Nb201Equivalence class id whose key is `key` (nb201_equivalence_key spelling). Throws
// d2a::Error (bad input) quoting the key when no cell of the space has it.
int nb201_class_of_key(std::string_view key);

// Positions of the members of class `class_id` in some table, ascending: `position_of` maps a cell
// to its row or benchmark index, or -1 when the table does not list it (those are skipped).
// Throws d2a::Error (bad input) for a class id outside [0, num_classes).
std::vector<int> nb201_class_positions(int class_id,
                                       const std::function<int(const Nb201Cell&)>& position_of);

}  // namespace d2a

#pragma once
// The NAS-Bench-201 cell as a DAG (Boost.Graph): which edges are live, and the benchmark's
// functional-equivalence key.
#include <array>
#include <string>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

// live[e] is true when edge e carries a signal from the cell input (node 0) to its output
// (node 3): its op is not `none`, its source is reachable from node 0 and its target reaches
// node 3 through non-`none` edges. Dead edges cannot change the cell's output.
std::array<bool, kNb201NumEdges> nb201_live_edges(const Nb201Cell& cell);

// True when no path of non-`none` edges joins input and output (the cell outputs zeros).
bool nb201_is_disconnected(const Nb201Cell& cell);

// The isomorphism-invariant key of a cell, character for character the `UniqueString` column of
// the NAS-Bench-201 table: two cells compute the same function (up to reordering summands and
// removing skip connections and zeros) exactly when their keys are equal. 15,625 cells fall
// into 6,466 classes.
std::string nb201_equivalence_key(const Nb201Cell& cell);

// The partition of the whole space into equivalence classes, computed once.
// Class ids are dense, ordered by the smallest dense index among each class's members.
class Nb201Equivalence {
 public:
  static const Nb201Equivalence& instance();

  int num_classes() const { return static_cast<int>(representatives_.size()); }
  int class_of(const Nb201Cell& cell) const { return class_of_dense_[cell.dense_index()]; }
  // The member with the smallest dense index; what a sampler uses for "one cell per class".
  const Nb201Cell& representative(int class_id) const { return representatives_.at(class_id); }
  const std::string& key(int class_id) const { return keys_.at(class_id); }
  std::vector<Nb201Cell> members(int class_id) const;

 private:
  Nb201Equivalence();
  std::vector<int> class_of_dense_;
  std::vector<Nb201Cell> representatives_;
  std::vector<std::string> keys_;
};

}  // namespace d2a

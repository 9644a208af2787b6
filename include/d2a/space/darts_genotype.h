#pragma once
// A cell architecture of the DARTS search space (Liu et al., 2019), in the notation the papers
// publish:
//   Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5],
//            reduce=[...], reduce_concat=[2, 3, 4, 5])
// A cell has two input states (0 = the output of the cell before the previous one, 1 = the
// previous cell's) and 4 intermediate nodes, states 2..5. Intermediate node k (0-based) takes
// exactly two inputs, the entries [2k] and [2k+1] of the list, each an (op, state) pair reading one
// of the states 0..k+1; the cell output concatenates the states listed in `concat`.
// No torch here: this is topology only (modules live in nn/).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace d2a {

enum class DartsOp : std::uint8_t {
  kNone = 0,
  kMaxPool3x3 = 1,
  kAvgPool3x3 = 2,
  kSkipConnect = 3,
  kSepConv3x3 = 4,
  kSepConv5x5 = 5,
  kDilConv3x3 = 6,
  kDilConv5x5 = 7,
};

inline constexpr int kDartsNumOps = 8;
inline constexpr int kDartsNumNodes = 4;          // intermediate nodes per cell
inline constexpr int kDartsInputsPerNode = 2;
inline constexpr int kDartsNumCellInputs = 2;     // states 0 and 1
inline constexpr int kDartsNumEdges = 14;         // candidate edges of the supernet cell

// "none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
// "dil_conv_3x3", "dil_conv_5x5" (the DARTS PRIMITIVES order).
std::string_view darts_op_name(DartsOp op);
// Inverse of darts_op_name; throws d2a::Error (bad input) naming the op and listing the valid ones.
DartsOp darts_op_from_name(std::string_view name);
std::vector<std::string> darts_op_names();

// One chosen input of an intermediate node: `op` applied to state `input`.
struct DartsGenotypeEdge {
  DartsOp op = DartsOp::kNone;
  int input = 0;
  friend bool operator==(const DartsGenotypeEdge& a, const DartsGenotypeEdge& b) {
    return a.op == b.op && a.input == b.input;
  }
};

// One cell type (normal or reduction).
struct DartsCellGenotype {
  std::vector<DartsGenotypeEdge> edges;  // 2 * kDartsNumNodes entries; node k owns [2k], [2k+1]
  std::vector<int> concat;               // states joined into the cell output, e.g. {2, 3, 4, 5}
  friend bool operator==(const DartsCellGenotype& a, const DartsCellGenotype& b) {
    return a.edges == b.edges && a.concat == b.concat;
  }
};

// A valid genotype: every constructor validates, so an object of this type is always well formed.
class DartsGenotype {
 public:
  // Throws d2a::Error (bad input) naming the cell, the entry and the problem: not exactly two
  // inputs per node (8 entries), an input state k+2 or higher for node k, both inputs of a node
  // reading the same state, an empty concat, a concat index outside the intermediate states 2..5,
  // or one listed twice. (`none` is a valid op, as in the DARTS primitives.)
  DartsGenotype(DartsCellGenotype normal, DartsCellGenotype reduce);

  // Parses the published notation. Whitespace is free, op names may be in '' or "", the four
  // fields may come in any order, and a concat may be written `range(2, 6)`. Throws d2a::Error
  // (bad input) naming the character position and what was expected, or a validation error.
  static DartsGenotype parse(std::string_view text);
  // The one canonical form: the notation above with `, ` separators and concat as a list.
  std::string str() const;

  // {"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5], "reduce": [...],
  //  "reduce_concat": [...]}. from_json validates like the constructor and names missing fields.
  nlohmann::json to_json() const;
  static DartsGenotype from_json(const nlohmann::json& json);

  const DartsCellGenotype& normal() const { return normal_; }
  const DartsCellGenotype& reduce() const { return reduce_; }

  friend bool operator==(const DartsGenotype& a, const DartsGenotype& b) {
    return a.normal_ == b.normal_ && a.reduce_ == b.reduce_;
  }
  friend bool operator!=(const DartsGenotype& a, const DartsGenotype& b) { return !(a == b); }

 private:
  DartsCellGenotype normal_;
  DartsCellGenotype reduce_;
};

}  // namespace d2a

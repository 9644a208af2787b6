#pragma once
// The NAS-Bench-201 cell as the 8-node op graph the D-VAE encoder and decoder walk (ops on
// nodes, as in MetaD2A): node 0 = the cell input, node e+1 = the op of edge e in canonical order
// (kNb201Edges: (1<-0),(2<-0),(2<-1),(3<-0),(3<-1),(3<-2)), node 7 = the cell output.
// The wiring is fixed by the space: the op-node of edge (j<-i) reads the op-nodes of the edges
// into cell-node i (node 0 when i = 0), and the output reads the op-nodes of the edges into
// cell-node 3. Node indices are a topological order. No torch here.
#include <array>
#include <cstdint>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

// Node-type vocabulary (one-hot index). Op types are 2 + the Nb201Op code, so
// none=2, skip_connect=3, nor_conv_1x1=4, nor_conv_3x3=5, avg_pool_3x3=6.
enum class CellNodeType : std::uint8_t {
  kInput = 0,
  kOutput = 1,
  kNone = 2,
  kSkipConnect = 3,
  kNorConv1x1 = 4,
  kNorConv3x3 = 5,
  kAvgPool3x3 = 6,
};

inline constexpr int kCellNodeTypes = 7;
inline constexpr int kCellGraphNodes = 8;
inline constexpr int kCellInputNode = 0;
inline constexpr int kCellOutputNode = 7;
inline constexpr int kCellFirstOpNode = 1;  // op-node of edge e is kCellFirstOpNode + e

CellNodeType node_type_of(Nb201Op op);
// Inverse of node_type_of; throws d2a::Error (bad input) for the input and output types.
Nb201Op op_of_node_type(CellNodeType type);
// "input", "output", then the op names.
const char* cell_node_type_name(CellNodeType type);

// Node indices that feed `node` / that `node` feeds, ascending. Throws for node outside [0, 8).
const std::vector<int>& cell_graph_predecessors(int node);
const std::vector<int>& cell_graph_successors(int node);

// [input, the 6 op types in edge order, output].
std::array<CellNodeType, kCellGraphNodes> cell_node_types(const Nb201Cell& cell);

}  // namespace d2a

#include "d2a/meta/cell_graph.h"

#include <string>

#include "d2a/error.h"

namespace d2a {
namespace {

struct Wiring {
  std::array<std::vector<int>, kCellGraphNodes> predecessors;
  std::array<std::vector<int>, kCellGraphNodes> successors;
};

// Op-nodes that write cell-node `cell_node`; the graph input stands for cell-node 0.
std::vector<int> writers_of(int cell_node) {
  if (cell_node == 0) return {kCellInputNode};
  std::vector<int> nodes;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    if (kNb201Edges[e].to == cell_node) nodes.push_back(kCellFirstOpNode + e);
  }
  return nodes;
}

// Derived from kNb201Edges so that the graph can never drift from the space.
Wiring build_wiring() {
  Wiring wiring;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    wiring.predecessors[kCellFirstOpNode + e] = writers_of(kNb201Edges[e].from);
  }
  wiring.predecessors[kCellOutputNode] = writers_of(kNb201NumNodes - 1);
  for (int node = 0; node < kCellGraphNodes; ++node) {
    for (int from : wiring.predecessors[node]) wiring.successors[from].push_back(node);
  }
  return wiring;
}

const Wiring& wiring() {
  static const Wiring instance = build_wiring();
  return instance;
}

void check_node(int node) {
  if (node < 0 || node >= kCellGraphNodes) {
    throw bad_input("cell graph: node " + std::to_string(node) + " outside [0, 8)");
  }
}

}  // namespace

CellNodeType node_type_of(Nb201Op op) {
  return static_cast<CellNodeType>(static_cast<int>(op) + static_cast<int>(CellNodeType::kNone));
}

Nb201Op op_of_node_type(CellNodeType type) {
  const int code = static_cast<int>(type) - static_cast<int>(CellNodeType::kNone);
  if (code < 0 || code >= kNb201NumOps) {
    throw bad_input(std::string("cell graph: node type '") + cell_node_type_name(type) +
                    "' is not an operation");
  }
  return static_cast<Nb201Op>(code);
}

const char* cell_node_type_name(CellNodeType type) {
  switch (type) {
    case CellNodeType::kInput: return "input";
    case CellNodeType::kOutput: return "output";
    case CellNodeType::kNone: return "none";
    case CellNodeType::kSkipConnect: return "skip_connect";
    case CellNodeType::kNorConv1x1: return "nor_conv_1x1";
    case CellNodeType::kNorConv3x3: return "nor_conv_3x3";
    case CellNodeType::kAvgPool3x3: return "avg_pool_3x3";
  }
  return "unknown";
}

const std::vector<int>& cell_graph_predecessors(int node) {
  check_node(node);
  return wiring().predecessors[node];
}

const std::vector<int>& cell_graph_successors(int node) {
  check_node(node);
  return wiring().successors[node];
}

std::array<CellNodeType, kCellGraphNodes> cell_node_types(const Nb201Cell& cell) {
  std::array<CellNodeType, kCellGraphNodes> types{};
  types[kCellInputNode] = CellNodeType::kInput;
  for (int e = 0; e < kNb201NumEdges; ++e) types[kCellFirstOpNode + e] = node_type_of(cell.op(e));
  types[kCellOutputNode] = CellNodeType::kOutput;
  return types;
}

}  // namespace d2a

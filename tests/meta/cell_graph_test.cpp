#include "d2a/meta/cell_graph.h"

#include <gtest/gtest.h>

#include <vector>

#include "d2a/error.h"

namespace d2a {
namespace {

TEST(CellGraph, NodeTypesMapToOpsBothWays) {
  EXPECT_EQ(node_type_of(Nb201Op::kNone), CellNodeType::kNone);
  EXPECT_EQ(node_type_of(Nb201Op::kSkipConnect), CellNodeType::kSkipConnect);
  EXPECT_EQ(node_type_of(Nb201Op::kNorConv1x1), CellNodeType::kNorConv1x1);
  EXPECT_EQ(node_type_of(Nb201Op::kNorConv3x3), CellNodeType::kNorConv3x3);
  EXPECT_EQ(node_type_of(Nb201Op::kAvgPool3x3), CellNodeType::kAvgPool3x3);
  for (int code = 0; code < kNb201NumOps; ++code) {
    const auto op = static_cast<Nb201Op>(code);
    EXPECT_EQ(op_of_node_type(node_type_of(op)), op);
    EXPECT_EQ(cell_node_type_name(node_type_of(op)), nb201_op_name(op));
  }
  EXPECT_THROW(op_of_node_type(CellNodeType::kInput), Error);
  EXPECT_THROW(op_of_node_type(CellNodeType::kOutput), Error);
}

TEST(CellGraph, WiringFollowsTheCellEdges) {
  // node 1 = (1<-0), 2 = (2<-0), 3 = (2<-1), 4 = (3<-0), 5 = (3<-1), 6 = (3<-2), 7 = output.
  const std::vector<std::vector<int>> predecessors = {{}, {0}, {0}, {1}, {0}, {1}, {2, 3}, {4, 5, 6}};
  const std::vector<std::vector<int>> successors = {{1, 2, 4}, {3, 5}, {6}, {6}, {7}, {7}, {7}, {}};
  for (int node = 0; node < kCellGraphNodes; ++node) {
    EXPECT_EQ(cell_graph_predecessors(node), predecessors[node]) << "node " << node;
    EXPECT_EQ(cell_graph_successors(node), successors[node]) << "node " << node;
    for (int from : cell_graph_predecessors(node)) EXPECT_LT(from, node) << "not topological";
  }
  EXPECT_THROW(cell_graph_predecessors(8), Error);
  EXPECT_THROW(cell_graph_successors(-1), Error);
}

TEST(CellGraph, CellNodeTypesPutOpsBetweenInputAndOutput) {
  const Nb201Cell cell = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|");
  const auto types = cell_node_types(cell);
  const std::array<CellNodeType, kCellGraphNodes> expected = {
      CellNodeType::kInput,       CellNodeType::kNorConv3x3, CellNodeType::kNone,
      CellNodeType::kAvgPool3x3,  CellNodeType::kSkipConnect, CellNodeType::kNorConv1x1,
      CellNodeType::kNorConv3x3,  CellNodeType::kOutput};
  EXPECT_EQ(types, expected);
}

}  // namespace
}  // namespace d2a

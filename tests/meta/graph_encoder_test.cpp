#include "d2a/meta/graph_encoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

TEST(GraphEncoder, EmbedsEachCell) {
  torch::manual_seed(0);
  GraphEncoder encoder;
  EXPECT_EQ(encoder(cells_to_op_codes(test::random_cells(7, 1))).sizes(), torch::IntArrayRef({7, 56}));
  EXPECT_EQ(encoder(cells_to_op_codes({})).sizes(), torch::IntArrayRef({0, 56}));
}

TEST(GraphEncoder, DistinguishesCellsAndRepeatsItself) {
  torch::manual_seed(1);
  GraphEncoder encoder(GraphEncoderOptions().hidden_dim(64).output_dim(16));
  // Pairs of cells differing in one edge, at every edge and by every op swap.
  std::vector<Nb201Cell> cells;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    for (int op = 0; op < kNb201NumOps; ++op) {
      Nb201Cell cell = Nb201Cell::from_dense_index(4321);
      cell.set_op(e, static_cast<Nb201Op>(op));
      cells.push_back(cell);
    }
  }
  std::set<Nb201Cell> distinct(cells.begin(), cells.end());
  ASSERT_EQ(distinct.size(), 25u);  // the base cell appears once per edge
  const torch::Tensor out = encoder(cells_to_op_codes(cells));
  for (std::size_t a = 0; a < cells.size(); ++a) {
    for (std::size_t b = a + 1; b < cells.size(); ++b) {
      const double gap = (out[a] - out[b]).abs().max().item<double>();
      if (cells[a] == cells[b]) {
        EXPECT_LT(gap, 1e-6) << cells[a].str();
      } else {
        EXPECT_GT(gap, 1e-5) << cells[a].str() << " vs " << cells[b].str();
      }
    }
  }
  // A cell's embedding does not depend on its batch companions.
  EXPECT_TRUE(torch::allclose(encoder(cells_to_op_codes({cells[7]}))[0], out[7], 1e-5, 1e-6));
}

TEST(GraphEncoder, GradientsReachEveryParameter) {
  torch::manual_seed(2);
  GraphEncoder encoder(GraphEncoderOptions().hidden_dim(32).output_dim(8));
  encoder(cells_to_op_codes(test::random_cells(5, 3))).pow(2).sum().backward();
  test::expect_gradients_everywhere(*encoder);
}

TEST(GraphEncoder, RejectsInvalidCells) {
  GraphEncoder encoder(GraphEncoderOptions().hidden_dim(8).output_dim(4));
  EXPECT_THROW(encoder(torch::full({2, 6}, 5, torch::kInt64)), Error);
  EXPECT_THROW(encoder(torch::zeros({2, 8}, torch::kInt64)), Error);
}

}  // namespace
}  // namespace d2a

#include "d2a/meta/cell_batch.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "d2a/error.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

TEST(CellBatch, OpCodesRoundTrip) {
  const std::vector<Nb201Cell> cells = test::random_cells(20, 7);
  const torch::Tensor codes = cells_to_op_codes(cells);
  EXPECT_EQ(codes.sizes(), torch::IntArrayRef({20, 6}));
  EXPECT_EQ(codes.scalar_type(), torch::kInt64);
  EXPECT_EQ(codes[3][4].item<int64_t>(), static_cast<int64_t>(cells[3].op(4)));
  EXPECT_EQ(cells_from_op_codes(codes), cells);
  EXPECT_EQ(cells_from_op_codes(codes.to(torch::kUInt8)), cells);
  EXPECT_EQ(cells_to_op_codes({}).sizes(), torch::IntArrayRef({0, 6}));
}

TEST(CellBatch, RejectsInvalidCodes) {
  torch::Tensor codes = torch::zeros({3, 6}, torch::kInt64);
  codes[1][2] = 5;
  try {
    cells_from_op_codes(codes);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cells_from_op_codes: cell 1 edge 2 has op code 5 (expected 0..4)");
  }
  EXPECT_THROW(cells_from_op_codes(torch::zeros({3, 5}, torch::kInt64)), Error);
  EXPECT_THROW(cells_from_op_codes(torch::zeros({3, 6})), Error);  // float
  EXPECT_THROW(cells_from_op_codes(torch::full({1, 6}, -1, torch::kInt64)), Error);
}

}  // namespace
}  // namespace d2a

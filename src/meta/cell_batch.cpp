#include "d2a/meta/cell_batch.h"

#include <torch/torch.h>

#include <string>

#include "d2a/error.h"

namespace d2a {

torch::Tensor cells_to_op_codes(const std::vector<Nb201Cell>& cells) {
  torch::Tensor codes =
      torch::empty({static_cast<int64_t>(cells.size()), kNb201NumEdges}, torch::kInt64);
  auto access = codes.accessor<int64_t, 2>();
  for (std::size_t b = 0; b < cells.size(); ++b) {
    for (int e = 0; e < kNb201NumEdges; ++e) {
      access[static_cast<int64_t>(b)][e] = static_cast<int64_t>(cells[b].op(e));
    }
  }
  return codes;
}

void check_op_codes(const torch::Tensor& codes, const char* who) {
  if (codes.dim() != 2 || codes.size(1) != kNb201NumEdges ||
      !at::isIntegralType(codes.scalar_type(), /*includeBool=*/false)) {
    throw bad_input(std::string(who) + ": cells must be an integer [B, 6] tensor of op codes, got " +
                    c10::str(codes.scalar_type()) + " " + c10::str(codes.sizes()));
  }
  if (codes.numel() == 0) return;
  const bool in_range =
      (codes >= 0).logical_and(codes < kNb201NumOps).all().item<bool>();
  if (!in_range) {
    const torch::Tensor bad = ((codes < 0).logical_or(codes >= kNb201NumOps)).nonzero()[0];
    const int64_t row = bad[0].item<int64_t>(), edge = bad[1].item<int64_t>();
    throw bad_input(std::string(who) + ": cell " + std::to_string(row) + " edge " +
                    std::to_string(edge) + " has op code " +
                    std::to_string(codes[row][edge].item<int64_t>()) + " (expected 0..4)");
  }
}

std::vector<Nb201Cell> cells_from_op_codes(const torch::Tensor& codes) {
  check_op_codes(codes, "cells_from_op_codes");
  const torch::Tensor cpu = codes.to(torch::kCPU, torch::kInt64).contiguous();
  const auto access = cpu.accessor<int64_t, 2>();
  std::vector<Nb201Cell> cells(static_cast<std::size_t>(cpu.size(0)));
  for (int64_t b = 0; b < cpu.size(0); ++b) {
    for (int e = 0; e < kNb201NumEdges; ++e) {
      cells[static_cast<std::size_t>(b)].set_op(e, static_cast<Nb201Op>(access[b][e]));
    }
  }
  return cells;
}

}  // namespace d2a

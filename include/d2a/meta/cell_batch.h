#pragma once
// A batch of NAS-Bench-201 cells as the tensor the meta-model modules take: int64 [B, 6], the
// Nb201Op code of each edge in canonical order (the meta-database's u8[6] rows, widened).
#include <torch/torch.h>

#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

// cells -> int64 [B, 6] (B may be 0).
torch::Tensor cells_to_op_codes(const std::vector<Nb201Cell>& cells);
// Integer [B, 6] with every value in [0, 5) -> cells. Throws d2a::Error (bad input) naming the
// row and value on anything else, or on a wrong shape.
std::vector<Nb201Cell> cells_from_op_codes(const torch::Tensor& codes);
// Checks that `codes` is an integer [B, 6] tensor of valid op codes (what cells_from_op_codes
// accepts); `who` names the caller in the error.
void check_op_codes(const torch::Tensor& codes, const char* who);

}  // namespace d2a

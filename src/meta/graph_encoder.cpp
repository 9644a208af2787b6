#include "d2a/meta/graph_encoder.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <array>
#include <vector>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "d2a/meta/cell_graph.h"
#include "json_fields.h"

namespace d2a {
namespace {

// op codes [B, 6] -> node types one-hot [B, 8, 7] (input, 6 ops, output).
torch::Tensor node_types_one_hot(const torch::Tensor& codes, const torch::TensorOptions& like) {
  const int64_t batch = codes.size(0);
  const auto column = [&](CellNodeType type) {
    return torch::full({batch, 1}, static_cast<int64_t>(type), codes.options());
  };
  const torch::Tensor types =
      torch::cat({column(CellNodeType::kInput),
                  codes + static_cast<int64_t>(CellNodeType::kNone),
                  column(CellNodeType::kOutput)},
                 1);
  return torch::one_hot(types, kCellNodeTypes).to(like);
}

}  // namespace

nlohmann::json to_json(const GraphEncoderOptions& options) {
  return {{"hidden_dim", options.hidden_dim()}, {"output_dim", options.output_dim()}};
}

GraphEncoderOptions graph_encoder_options_from_json(const nlohmann::json& json,
                                                    const std::string& where) {
  return GraphEncoderOptions()
      .hidden_dim(meta_json::integer(json, "hidden_dim", where))
      .output_dim(meta_json::integer(json, "output_dim", where));
}

GraphEncoderImpl::GraphEncoderImpl(const GraphEncoderOptions& options_) : options(options_) {
  reset();
}

void GraphEncoderImpl::reset() {
  if (options.hidden_dim() < 1 || options.output_dim() < 1) {
    throw bad_input("graph encoder: hidden_dim and output_dim must be >= 1 (got " +
                    std::to_string(options.hidden_dim()) + ", " +
                    std::to_string(options.output_dim()) + ")");
  }
  const int64_t hidden = options.hidden_dim();
  const auto mapper = [&] {
    return torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false));
  };
  forward_gru_ = register_module("forward_gru", torch::nn::GRUCell(kCellNodeTypes, hidden));
  forward_gate_ = register_module("forward_gate", torch::nn::Linear(hidden, hidden));
  forward_mapper_ = register_module("forward_mapper", mapper());
  backward_gru_ = register_module("backward_gru", torch::nn::GRUCell(kCellNodeTypes, hidden));
  backward_gate_ = register_module("backward_gate", torch::nn::Linear(hidden, hidden));
  backward_mapper_ = register_module("backward_mapper", mapper());
  out_ = register_module("out", torch::nn::Linear(2 * hidden, options.output_dim()));
}

torch::Tensor GraphEncoderImpl::propagate(const torch::Tensor& types_one_hot, bool reverse,
                                          torch::nn::GRUCell& gru, torch::nn::Linear& gate,
                                          torch::nn::Linear& mapper) {
  const int64_t batch = types_one_hot.size(0);
  const torch::Tensor zeros =
      torch::zeros({batch, options.hidden_dim()}, types_one_hot.options());
  std::array<torch::Tensor, kCellGraphNodes> messages;
  torch::Tensor state;
  for (int step = 0; step < kCellGraphNodes; ++step) {
    const int node = reverse ? kCellGraphNodes - 1 - step : step;
    const auto& neighbours =
        reverse ? cell_graph_successors(node) : cell_graph_predecessors(node);
    torch::Tensor incoming = zeros;
    for (int other : neighbours) incoming = incoming + messages[other];
    state = gru(types_one_hot.select(1, node), incoming);
    // A message is the same for every reader, so it is computed once per node.
    if (step + 1 < kCellGraphNodes) messages[node] = torch::sigmoid(gate(state)) * mapper(state);
  }
  return state;
}

torch::Tensor GraphEncoderImpl::forward(const torch::Tensor& codes) {
  check_op_codes(codes, "graph encoder");
  const auto float_options = out_->weight.options();
  // Candidate lists repeat cells; each distinct cell is encoded once and copied back.
  const auto [distinct, inverse, counts] = torch::unique_dim(
      codes.to(float_options.device(), torch::kInt64), 0, /*sorted=*/false,
      /*return_inverse=*/true);
  if (distinct.size(0) < codes.size(0)) return forward(distinct).index_select(0, inverse);
  const torch::Tensor one_hot =
      node_types_one_hot(codes.to(float_options.device(), torch::kInt64), float_options);
  const torch::Tensor output_state =
      propagate(one_hot, false, forward_gru_, forward_gate_, forward_mapper_);
  const torch::Tensor input_state =
      propagate(one_hot, true, backward_gru_, backward_gate_, backward_mapper_);
  return out_(torch::cat({output_state, input_state}, 1));
}

}  // namespace d2a

#pragma once
// The predictor's cell encoder: D-VAE's bidirectional graph encoder (Zhang et al. 2019) over
// the 8-node op graph of meta/cell_graph.h. A forward pass visits the nodes in topological order,
// h_v = GRU_f(onehot(type_v), sum_{u in pred(v)} sigmoid(Linear(h_u)) * Linear(h_u)); a backward
// pass does the same in reverse order over successors with its own weights. The output node's
// forward state and the input node's backward state, concatenated, go through a Linear.
// All B cells advance together, node by node.
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <string>

namespace d2a {

struct GraphEncoderOptions {
  TORCH_ARG(int64_t, hidden_dim) = 512;  // GRU state size of each direction
  TORCH_ARG(int64_t, output_dim) = 56;   // cell embedding size
};

nlohmann::json to_json(const GraphEncoderOptions& options);
GraphEncoderOptions graph_encoder_options_from_json(const nlohmann::json& json,
                                                    const std::string& where);

class GraphEncoderImpl : public torch::nn::Cloneable<GraphEncoderImpl> {
 public:
  explicit GraphEncoderImpl(const GraphEncoderOptions& options = {});
  void reset() override;

  // op codes int64 [B, 6] (meta/cell_batch.h) -> cell embeddings [B, output_dim].
  torch::Tensor forward(const torch::Tensor& codes);

  GraphEncoderOptions options;

 private:
  // One direction: node visiting `order`, each node reading the messages of `neighbours(v)`.
  // types_one_hot: [B, 8, 7]. Returns the state of the last node visited, [B, hidden_dim].
  torch::Tensor propagate(const torch::Tensor& types_one_hot, bool reverse,
                          torch::nn::GRUCell& gru, torch::nn::Linear& gate,
                          torch::nn::Linear& mapper);

  torch::nn::GRUCell forward_gru_{nullptr}, backward_gru_{nullptr};
  torch::nn::Linear forward_gate_{nullptr}, forward_mapper_{nullptr};
  torch::nn::Linear backward_gate_{nullptr}, backward_mapper_{nullptr};
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(GraphEncoder);

}  // namespace d2a

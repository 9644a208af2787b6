#pragma once
// The generator's decoder (D-VAE style, Zhang et al. 2019, as used by MetaD2A): from a latent
// z it writes a NAS-Bench-201 cell node by node over the 8-node op graph of meta/cell_graph.h.
// The wiring is fixed by the space, so only the 6 op types are predicted; the input and output
// nodes are fixed. Every decoded cell is valid: the type head has exactly the 5 op logits.
//
// Walk: h_init = tanh(Linear(z)); node 0 (input) gets h_0 = GRU(onehot(input), h_init). For
// node t = 1..6: its type is picked by an MLP from the graph state [h_{t-1}, sum_{u<t} m_u], then
// h_t = GRU(onehot(type_t), sum_{u in pred(t)} m_u), where the message m_u =
// sigmoid(Linear(h_u)) * Linear(h_u) is D-VAE's gated aggregation. (D-VAE's graph state is h_{t-1}
// alone; with fixed wiring h_{t-1} does not see every earlier choice, e.g. node 3 reads only
// node 1, so the running sum of messages is added.) All B cells advance together, node by node.
#include <ATen/core/Generator.h>
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

struct GraphDecoderOptions {
  TORCH_ARG(int64_t, latent_dim) = 56;   // size of z
  TORCH_ARG(int64_t, hidden_dim) = 512;  // GRU state size
};

nlohmann::json to_json(const GraphDecoderOptions& options);
GraphDecoderOptions graph_decoder_options_from_json(const nlohmann::json& json,
                                                    const std::string& where);

// A seeded CPU random generator for decode_sampled.
at::Generator make_sampler(std::uint64_t seed);

class GraphDecoderImpl : public torch::nn::Cloneable<GraphDecoderImpl> {
 public:
  explicit GraphDecoderImpl(const GraphDecoderOptions& options = {});
  void reset() override;

  // Teacher forcing: z [B, latent_dim], target op codes int64 [B, 6] (meta/cell_batch.h)
  // -> logits [B, 6, 5] of each op-node's type given the true earlier nodes.
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& target_codes);
  // Reconstruction loss: cross-entropy over the 5 op types, summed over the 6 op-nodes and
  // averaged over the batch (D-VAE's vertex loss; the KL term lives in Generator). -> scalar.
  torch::Tensor loss(const torch::Tensor& z, const torch::Tensor& target_codes);

  // z [B, latent_dim] -> op codes int64 [B, 6], no gradient. Greedy takes the most likely type
  // at each node; sampled draws each type from its softmax with `sampler` (make_sampler).
  torch::Tensor decode_greedy_codes(const torch::Tensor& z);
  torch::Tensor decode_sampled_codes(const torch::Tensor& z, at::Generator sampler);
  // The same as cells (always valid).
  std::vector<Nb201Cell> decode_greedy(const torch::Tensor& z);
  std::vector<Nb201Cell> decode_sampled(const torch::Tensor& z, at::Generator sampler);

  GraphDecoderOptions options;

 private:
  enum class Pick { kTeacher, kGreedy, kSample };
  // One walk over the graph. Returns logits [B, 6, 5]; writes the chosen codes into `codes`
  // (read from it for kTeacher).
  torch::Tensor walk(const torch::Tensor& z, Pick pick, torch::Tensor& codes,
                     c10::optional<at::Generator> sampler);
  torch::Tensor message(const torch::Tensor& h);  // [B, H] -> [B, H]

  torch::nn::Linear init_{nullptr};
  torch::nn::GRUCell gru_{nullptr};
  torch::nn::Linear gate_{nullptr}, mapper_{nullptr};
  torch::nn::Sequential type_head_{nullptr};
};
TORCH_MODULE(GraphDecoder);

}  // namespace d2a

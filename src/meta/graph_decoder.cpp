#include "d2a/meta/graph_decoder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "d2a/meta/cell_graph.h"
#include "json_fields.h"

namespace d2a {
namespace {

// Node types as one-hot GRU inputs: int64 [B] of CellNodeType values -> float [B, 7].
torch::Tensor one_hot_types(const torch::Tensor& types, const torch::Tensor& like) {
  return torch::one_hot(types, kCellNodeTypes).to(like.options());
}

}  // namespace

nlohmann::json to_json(const GraphDecoderOptions& options) {
  return {{"latent_dim", options.latent_dim()}, {"hidden_dim", options.hidden_dim()}};
}

GraphDecoderOptions graph_decoder_options_from_json(const nlohmann::json& json,
                                                    const std::string& where) {
  return GraphDecoderOptions()
      .latent_dim(meta_json::integer(json, "latent_dim", where))
      .hidden_dim(meta_json::integer(json, "hidden_dim", where));
}

at::Generator make_sampler(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

GraphDecoderImpl::GraphDecoderImpl(const GraphDecoderOptions& options_) : options(options_) {
  reset();
}

void GraphDecoderImpl::reset() {
  if (options.latent_dim() < 1 || options.hidden_dim() < 1) {
    throw bad_input("graph decoder: latent_dim and hidden_dim must be >= 1 (got " +
                    std::to_string(options.latent_dim()) + ", " +
                    std::to_string(options.hidden_dim()) + ")");
  }
  const int64_t hidden = options.hidden_dim();
  init_ = register_module("init", torch::nn::Linear(options.latent_dim(), hidden));
  gru_ = register_module("gru", torch::nn::GRUCell(kCellNodeTypes, hidden));
  gate_ = register_module("gate", torch::nn::Linear(hidden, hidden));
  mapper_ = register_module(
      "mapper", torch::nn::Linear(torch::nn::LinearOptions(hidden, hidden).bias(false)));
  type_head_ = register_module(
      "type_head", torch::nn::Sequential(torch::nn::Linear(2 * hidden, 2 * hidden),
                                         torch::nn::ReLU(),
                                         torch::nn::Linear(2 * hidden, kNb201NumOps)));
}

torch::Tensor GraphDecoderImpl::message(const torch::Tensor& h) {
  return torch::sigmoid(gate_(h)) * mapper_(h);
}

torch::Tensor GraphDecoderImpl::walk(const torch::Tensor& z, Pick pick, torch::Tensor& codes,
                                     c10::optional<at::Generator> sampler) {
  if (z.dim() != 2 || z.size(1) != options.latent_dim()) {
    throw bad_input("graph decoder: z must be [B, " + std::to_string(options.latent_dim()) +
                    "], got " + c10::str(z.sizes()));
  }
  const int64_t batch = z.size(0);
  if (pick == Pick::kTeacher) {
    check_op_codes(codes, "graph decoder");
    if (codes.size(0) != batch) {
      throw bad_input("graph decoder: " + std::to_string(codes.size(0)) + " target cells for " +
                      std::to_string(batch) + " latents");
    }
    codes = codes.to(z.device(), torch::kInt64);
  } else {
    codes = torch::empty({batch, kNb201NumEdges}, z.options().dtype(torch::kInt64));
  }
  const auto type_offset = static_cast<int64_t>(CellNodeType::kNone);
  const torch::Tensor input_type =
      torch::full({batch}, static_cast<int64_t>(CellNodeType::kInput), codes.options());

  std::vector<torch::Tensor> messages;  // m_u of every node walked so far
  torch::Tensor state = gru_(one_hot_types(input_type, z), torch::tanh(init_(z)));
  messages.push_back(message(state));
  torch::Tensor message_sum = messages.back();
  std::vector<torch::Tensor> logits;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    const int node = kCellFirstOpNode + e;
    logits.push_back(type_head_->forward(torch::cat({state, message_sum}, 1)));  // [B, 5]
    if (pick == Pick::kGreedy) {
      codes.select(1, e).copy_(logits.back().argmax(1));
    } else if (pick == Pick::kSample) {
      codes.select(1, e).copy_(
          // On the CPU so that one seeded CPU generator serves any device.
          torch::multinomial(torch::softmax(logits.back(), 1).to(torch::kCPU), 1, false, sampler)
              .squeeze(1));
    }
    if (e + 1 == kNb201NumEdges) break;  // the last op-node's state feeds no further choice
    torch::Tensor incoming = torch::zeros_like(state);
    for (int from : cell_graph_predecessors(node)) incoming = incoming + messages[from];
    state = gru_(one_hot_types(codes.select(1, e) + type_offset, z), incoming);
    messages.push_back(message(state));
    message_sum = message_sum + messages.back();
  }
  return torch::stack(logits, 1);
}

torch::Tensor GraphDecoderImpl::forward(const torch::Tensor& z, const torch::Tensor& target_codes) {
  torch::Tensor codes = target_codes;
  return walk(z, Pick::kTeacher, codes, c10::nullopt);
}

torch::Tensor GraphDecoderImpl::loss(const torch::Tensor& z, const torch::Tensor& target_codes) {
  torch::Tensor codes = target_codes;
  const torch::Tensor logits = walk(z, Pick::kTeacher, codes, c10::nullopt);
  const torch::Tensor total = torch::nn::functional::cross_entropy(
      logits.reshape({-1, kNb201NumOps}), codes.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  return total / std::max<int64_t>(z.size(0), 1);
}

torch::Tensor GraphDecoderImpl::decode_greedy_codes(const torch::Tensor& z) {
  torch::NoGradGuard no_grad;
  torch::Tensor codes;
  walk(z, Pick::kGreedy, codes, c10::nullopt);
  return codes;
}

torch::Tensor GraphDecoderImpl::decode_sampled_codes(const torch::Tensor& z,
                                                     at::Generator sampler) {
  torch::NoGradGuard no_grad;
  torch::Tensor codes;
  walk(z, Pick::kSample, codes, sampler);
  return codes;
}

std::vector<Nb201Cell> GraphDecoderImpl::decode_greedy(const torch::Tensor& z) {
  return cells_from_op_codes(decode_greedy_codes(z));
}

std::vector<Nb201Cell> GraphDecoderImpl::decode_sampled(const torch::Tensor& z,
                                                        at::Generator sampler) {
  return cells_from_op_codes(decode_sampled_codes(z, sampler));
}

}  // namespace d2a

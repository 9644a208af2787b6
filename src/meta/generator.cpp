#include "d2a/meta/generator.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "d2a/error.h"
#include "d2a/meta/model_dir.h"
#include "json_fields.h"

namespace d2a {

nlohmann::json to_json(const GeneratorOptions& options) {
  return {{"set_encoder", to_json(options.set_encoder())},
          {"decoder", to_json(options.decoder())},
          {"kl_weight", options.kl_weight()},
          {"train_noise", options.train_noise()}};
}

GeneratorOptions generator_options_from_json(const nlohmann::json& json, const std::string& where) {
  const SetEncoderOptions set_encoder = set_encoder_options_from_json(
      meta_json::field(json, "set_encoder", where), where + " (set_encoder)");
  GeneratorOptions options(set_encoder.input_dim());
  return options.set_encoder(set_encoder)
      .decoder(graph_decoder_options_from_json(meta_json::field(json, "decoder", where),
                                               where + " (decoder)"))
      .kl_weight(meta_json::number(json, "kl_weight", where))
      .train_noise(meta_json::number(json, "train_noise", where));
}

GeneratorImpl::GeneratorImpl(const GeneratorOptions& options_) : options(options_) { reset(); }

void GeneratorImpl::reset() {
  if (options.kl_weight() < 0 || options.train_noise() < 0) {
    throw bad_input("generator: kl_weight and train_noise must be >= 0 (got " +
                    std::to_string(options.kl_weight()) + ", " +
                    std::to_string(options.train_noise()) + ")");
  }
  const int64_t dataset_dim = options.set_encoder().output_dim();
  const int64_t latent_dim = options.decoder().latent_dim();
  set_encoder_ = register_module("set_encoder", SetEncoder(options.set_encoder()));
  mu_ = register_module("mu", torch::nn::Linear(dataset_dim, latent_dim));
  logvar_ = register_module("logvar", torch::nn::Linear(dataset_dim, latent_dim));
  decoder_ = register_module("decoder", GraphDecoder(options.decoder()));
}

GeneratorLatent GeneratorImpl::encode(const torch::Tensor& features) {
  const torch::Tensor dataset = set_encoder_(features);
  return {mu_(dataset), logvar_(dataset)};
}

torch::Tensor GeneratorImpl::sample_latent(const GeneratorLatent& latent) {
  if (!is_training()) return latent.mu;
  const torch::Tensor sigma = torch::exp(0.5 * latent.logvar);
  return latent.mu + options.train_noise() * sigma * torch::randn_like(sigma);
}

GeneratorLoss GeneratorImpl::loss(const torch::Tensor& features,
                                  const torch::Tensor& target_codes) {
  const GeneratorLatent latent = encode(features);
  GeneratorLoss result;
  result.reconstruction = decoder_->loss(sample_latent(latent), target_codes);
  result.kl = -0.5 *
              (1 + latent.logvar - latent.mu.pow(2) - latent.logvar.exp()).sum(1).mean();
  result.total = result.reconstruction + options.kl_weight() * result.kl;
  return result;
}

std::vector<Nb201Cell> GeneratorImpl::generate_greedy(const torch::Tensor& features) {
  torch::NoGradGuard no_grad;
  return decoder_->decode_greedy(sample_latent(encode(features)));
}

std::vector<Nb201Cell> GeneratorImpl::generate_sampled(const torch::Tensor& features,
                                                       at::Generator sampler) {
  torch::NoGradGuard no_grad;
  return decoder_->decode_sampled(sample_latent(encode(features)), sampler);
}

void save_generator(const std::filesystem::path& dir, const Generator& generator,
                    const nlohmann::json& extra) {
  save_model_dir(dir, *generator,
                 make_model_config(kGeneratorKind, to_json(generator->options), extra));
}

Generator load_generator(const std::filesystem::path& dir) {
  return load_model_dir<Generator>(dir, kGeneratorKind, generator_options_from_json);
}

}  // namespace d2a

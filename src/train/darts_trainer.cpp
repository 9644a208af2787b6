#include "d2a/train/darts_trainer.h"

#include <torch/torch.h>

namespace d2a {

DartsTrainResult train_and_evaluate(const DartsGenotype& genotype, const TrainData& train,
                                    const TrainData& test, const Budget& budget,
                                    std::uint64_t seed, torch::Device device,
                                    const TrainCallback& progress) {
  budget.validate();
  const TrainRecipe& recipe = budget.recipe;
  DartsTrainResult result;
  auto build = [&](int input_channels, int num_classes) {
    DartsNetwork net(DartsNetworkOptions(genotype)
                         .channels(budget.channels)
                         .layers(budget.cells_per_stage)
                         .input_channels(input_channels)
                         .num_classes(num_classes)
                         .auxiliary(recipe.auxiliary_weight > 0));
    result.network = net;
    TrainableNetwork trainable;
    trainable.module = net.ptr();
    trainable.forward = [impl = net.ptr()](const torch::Tensor& images) {
      DartsNetworkOutput out = impl->forward(images);
      return TrainOutput{std::move(out.logits), std::move(out.aux_logits)};
    };
    const double final_drop_path = recipe.drop_path;
    trainable.start_epoch = [impl = net.ptr(), final_drop_path](int epoch, int epochs) {
      impl->set_drop_path_prob(final_drop_path * epoch / epochs);
    };
    trainable.num_parameters = net->num_parameters();
    return trainable;
  };
  static_cast<TrainStats&>(result) =
      train_network(build, train, test, recipe, seed, device, progress);
  return result;
}

}  // namespace d2a

#pragma once
// Training the DARTS evaluation network of one genotype from scratch, through the same loop as
// the NAS-Bench-201 networks (train_network in trainer.h).
#include <torch/torch.h>

#include <cstdint>

#include "d2a/nn/darts_network.h"
#include "d2a/space/darts_genotype.h"
#include "d2a/train/budget.h"
#include "d2a/train/trainer.h"

namespace d2a {

struct DartsTrainResult : TrainStats {
  // num_parameters counts without the auxiliary head (the published count).
  DartsNetwork network{nullptr};  // the trained network, in eval mode, on `device`
};

// The network of `genotype` with C = budget.channels and budget.cells_per_stage cells in total
// (input channels from the images, classes = 1 + the largest label), the auxiliary head when
// budget.recipe.auxiliary_weight > 0, and drop path raised linearly from 0 to
// budget.recipe.drop_path over the epochs (epoch e of E: drop_path * e / E, as DARTS does).
// Otherwise exactly like train_and_evaluate for a cell: seeding, data checks, errors.
DartsTrainResult train_and_evaluate(const DartsGenotype& genotype, const TrainData& train,
                                    const TrainData& test, const Budget& budget,
                                    std::uint64_t seed, torch::Device device = torch::kCPU,
                                    const TrainCallback& progress = {});

}  // namespace d2a

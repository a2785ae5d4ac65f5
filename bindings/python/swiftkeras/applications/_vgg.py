"""The VGG family's one builder (VGG16 and VGG19 differ in their blocks' depths)."""

from .. import layers
from . import imagenet_utils as utils


def vgg(depths, weights_url, stem, hashes, include_top, weights, input_tensor, input_shape,
        pooling, classes, classifier_activation, name):
    utils.check_weights_argument(weights, include_top, classes)
    img_input = utils.model_input(input_tensor, input_shape, 224, 32, include_top, weights)
    x = img_input
    for block, (depth, filters) in enumerate(zip(depths, (64, 128, 256, 512, 512)), start=1):
        for i in range(1, depth + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = utils.pooling_head(x, pooling)

    return utils.finish(img_input, input_tensor, x, name, weights,
                        utils.tf_kernels_file(weights_url, stem, include_top, hashes))
